// qar-qiskit circuit teleport_dynamic: teleportation: Bell measurement + if_test X/Z corrections
// regenerate: qar circuits export circuits/
OPENQASM 3.0;
include "stdgates.inc";
bit[2] bell_meas;
qubit[1] source;
qubit[1] bell_a;
qubit[1] bell_b;
h bell_a[0];
cx bell_a[0], bell_b[0];
cx source[0], bell_a[0];
h source[0];
bell_meas[0] = measure source[0];
bell_meas[1] = measure bell_a[0];
if (bell_meas[1]) {
  x bell_b[0];
}
if (bell_meas[0]) {
  z bell_b[0];
}
