// qar-qiskit circuit cluster_4: 4-qubit linear cluster state (H on all, CZ on neighbours)
// regenerate: qar circuits export circuits/
OPENQASM 3.0;
include "stdgates.inc";
qubit[4] cluster;
h cluster[0];
h cluster[1];
h cluster[2];
h cluster[3];
cz cluster[0], cluster[1];
cz cluster[1], cluster[2];
cz cluster[2], cluster[3];
