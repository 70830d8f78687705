// qar-qiskit circuit weak_bell: cos(theta/2)|00> + sin(theta/2)|11>, input theta
// regenerate: qar circuits export circuits/
OPENQASM 3.0;
include "stdgates.inc";
input float[64] theta;
qubit[2] weak_bell;
ry(theta) weak_bell[0];
cx weak_bell[0], weak_bell[1];
