// qar-qiskit circuit pattern_trending: entanglement-buffer pattern for regime trending (default buffer size)
// regenerate: qar circuits export circuits/
OPENQASM 3.0;
include "stdgates.inc";
qubit[6] q;
cx q[2], q[0];
cx q[4], q[0];
