// qar-qiskit circuit bell_phi_minus: Bell state (|00> - |11>)/sqrt2
// regenerate: qar circuits export circuits/
OPENQASM 3.0;
include "stdgates.inc";
qubit[2] bell;
x bell[0];
h bell[0];
cx bell[0], bell[1];
