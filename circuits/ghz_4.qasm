// qar-qiskit circuit ghz_4: 4-qubit GHZ state (crisis risk broadcast on a 4-qubit buffer)
// regenerate: qar circuits export circuits/
OPENQASM 3.0;
include "stdgates.inc";
qubit[4] ghz;
h ghz[0];
cx ghz[0], ghz[1];
cx ghz[1], ghz[2];
cx ghz[2], ghz[3];
