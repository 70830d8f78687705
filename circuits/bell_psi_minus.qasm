// qar-qiskit circuit bell_psi_minus: Bell state (|01> - |10>)/sqrt2
// regenerate: qar circuits export circuits/
OPENQASM 3.0;
include "stdgates.inc";
qubit[2] bell;
x bell[0];
x bell[1];
h bell[0];
cx bell[0], bell[1];
