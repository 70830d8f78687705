// qar-qiskit circuit teleport_deferred: teleportation, deferred measurement (controlled X/Z)
// regenerate: qar circuits export circuits/
OPENQASM 3.0;
include "stdgates.inc";
qubit[1] source;
qubit[1] bell_a;
qubit[1] bell_b;
h bell_a[0];
cx bell_a[0], bell_b[0];
cx source[0], bell_a[0];
h source[0];
cx bell_a[0], bell_b[0];
cz source[0], bell_b[0];
