// qar-qiskit circuit pattern_crisis: entanglement-buffer pattern for regime crisis (default buffer size)
// regenerate: qar circuits export circuits/
OPENQASM 3.0;
include "stdgates.inc";
qubit[6] q;
cx q[5], q[0];
cx q[5], q[1];
