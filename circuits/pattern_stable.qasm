// qar-qiskit circuit pattern_stable: entanglement-buffer pattern for regime stable (default buffer size)
// regenerate: qar circuits export circuits/
OPENQASM 3.0;
include "stdgates.inc";
qubit[6] q;
cx q[2], q[0];
cx q[3], q[0];
