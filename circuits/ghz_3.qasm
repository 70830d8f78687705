// qar-qiskit circuit ghz_3: 3-qubit GHZ state (|000> + |111>)/sqrt2
// regenerate: qar circuits export circuits/
OPENQASM 3.0;
include "stdgates.inc";
qubit[3] ghz;
h ghz[0];
cx ghz[0], ghz[1];
cx ghz[1], ghz[2];
