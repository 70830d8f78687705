// qar-qiskit circuit feedback: regime feedback: RY/CRY on size and risk qubits from the regime qubits
// regenerate: qar circuits export circuits/
OPENQASM 3.0;
include "stdgates.inc";
input float[64] _delta_0_;
input float[64] _delta_1_;
input float[64] _delta_2_;
input float[64] _delta_3_;
input float[64] _delta_4_;
input float[64] _delta_5_;
input float[64] _delta_6_;
input float[64] _delta_7_;
input float[64] _delta_8_;
input float[64] _delta_9_;
input float[64] _delta_10_;
input float[64] _delta_11_;
qubit[6] q;
ry(_delta_0_) q[0];
cry(-_delta_0_ + _delta_3_) q[3], q[0];
cry(-_delta_0_ + _delta_6_) q[4], q[0];
cry(-_delta_3_ + _delta_9_ - _delta_6_ + _delta_0_) q[5], q[0];
ry(_delta_1_) q[1];
cry(-_delta_1_ + _delta_4_) q[3], q[1];
cry(-_delta_1_ + _delta_7_) q[4], q[1];
cry(_delta_10_ - _delta_4_ - _delta_7_ + _delta_1_) q[5], q[1];
ry(_delta_2_) q[2];
cry(-_delta_2_ + _delta_5_) q[3], q[2];
cry(-_delta_2_ + _delta_8_) q[4], q[2];
cry(_delta_11_ - _delta_5_ - _delta_8_ + _delta_2_) q[5], q[2];
