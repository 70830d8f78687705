// qar-qiskit circuit reuse_bell_ghz: qubit reuse: Bell pair then GHZ(3) on 3 qubits, measure + reset
// regenerate: qar circuits export circuits/
OPENQASM 3.0;
include "stdgates.inc";
bit[2] f0_bell_phi_plus;
bit[3] f1_ghz_3;
qubit[3] q;
h q[0];
cx q[0], q[1];
f0_bell_phi_plus[0] = measure q[0];
f0_bell_phi_plus[1] = measure q[1];
reset q[0];
reset q[1];
h q[0];
cx q[0], q[1];
cx q[1], q[2];
f1_ghz_3[0] = measure q[0];
f1_ghz_3[1] = measure q[1];
f1_ghz_3[2] = measure q[2];
