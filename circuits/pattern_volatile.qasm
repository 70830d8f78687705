// qar-qiskit circuit pattern_volatile: entanglement-buffer pattern for regime volatile (default buffer size)
// regenerate: qar circuits export circuits/
OPENQASM 3.0;
include "stdgates.inc";
qubit[6] q;
cx q[2], q[0];
cx q[3], q[0];
cx q[3], q[1];
cx q[4], q[1];
