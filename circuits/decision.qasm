// qar-qiskit circuit decision: decision register mapped from the experts, selected by the memory
// regenerate: qar circuits export circuits/
OPENQASM 3.0;
include "stdgates.inc";
input float[64] _beta_0_;
input float[64] _beta_1_;
input float[64] _beta_2_;
input float[64] _beta_3_;
input float[64] _beta_4_;
input float[64] _beta_5_;
input float[64] _beta_6_;
input float[64] _beta_7_;
input float[64] _beta_8_;
input float[64] _beta_9_;
input float[64] _beta_10_;
input float[64] _beta_11_;
gate mcx _gate_q_0, _gate_q_1, _gate_q_2, _gate_q_3 {
  h _gate_q_3;
  p(pi/8) _gate_q_0;
  p(pi/8) _gate_q_1;
  p(pi/8) _gate_q_2;
  p(pi/8) _gate_q_3;
  cx _gate_q_0, _gate_q_1;
  p(-pi/8) _gate_q_1;
  cx _gate_q_0, _gate_q_1;
  cx _gate_q_1, _gate_q_2;
  p(-pi/8) _gate_q_2;
  cx _gate_q_0, _gate_q_2;
  p(pi/8) _gate_q_2;
  cx _gate_q_1, _gate_q_2;
  p(-pi/8) _gate_q_2;
  cx _gate_q_0, _gate_q_2;
  cx _gate_q_2, _gate_q_3;
  p(-pi/8) _gate_q_3;
  cx _gate_q_1, _gate_q_3;
  p(pi/8) _gate_q_3;
  cx _gate_q_2, _gate_q_3;
  p(-pi/8) _gate_q_3;
  cx _gate_q_0, _gate_q_3;
  p(pi/8) _gate_q_3;
  cx _gate_q_2, _gate_q_3;
  p(-pi/8) _gate_q_3;
  cx _gate_q_1, _gate_q_3;
  p(pi/8) _gate_q_3;
  cx _gate_q_2, _gate_q_3;
  p(-pi/8) _gate_q_3;
  cx _gate_q_0, _gate_q_3;
  h _gate_q_3;
}
gate mcx_o4 _gate_q_0, _gate_q_1, _gate_q_2, _gate_q_3 {
  x _gate_q_0;
  x _gate_q_1;
  mcx _gate_q_0, _gate_q_1, _gate_q_2, _gate_q_3;
  x _gate_q_0;
  x _gate_q_1;
}
gate mcx_o5 _gate_q_0, _gate_q_1, _gate_q_2, _gate_q_3 {
  x _gate_q_1;
  mcx _gate_q_0, _gate_q_1, _gate_q_2, _gate_q_3;
  x _gate_q_1;
}
gate mcx_o6 _gate_q_0, _gate_q_1, _gate_q_2, _gate_q_3 {
  x _gate_q_0;
  mcx _gate_q_0, _gate_q_1, _gate_q_2, _gate_q_3;
  x _gate_q_0;
}
qubit[10] q;
mcx_o4 q[5], q[6], q[7], q[1];
mcx_o5 q[5], q[6], q[8], q[1];
mcx_o6 q[5], q[6], q[9], q[1];
cx q[6], q[0];
ry(0.25*_beta_0_ + 0.25*_beta_3_ + 0.25*_beta_6_ + 0.25*_beta_9_) q[2];
cx q[5], q[2];
ry(0.25*_beta_0_ - 0.25*_beta_3_ + 0.25*_beta_6_ - 0.25*_beta_9_) q[2];
cx q[6], q[2];
ry(0.25*_beta_0_ - 0.25*_beta_3_ - 0.25*_beta_6_ + 0.25*_beta_9_) q[2];
cx q[5], q[2];
ry(0.25*_beta_0_ + 0.25*_beta_3_ - 0.25*_beta_6_ - 0.25*_beta_9_) q[2];
cx q[6], q[2];
ry(0.25*_beta_1_ + 0.25*_beta_4_ + 0.25*_beta_7_ + 0.25*_beta_10_) q[3];
cx q[5], q[3];
ry(0.25*_beta_1_ - 0.25*_beta_4_ + 0.25*_beta_7_ - 0.25*_beta_10_) q[3];
cx q[6], q[3];
ry(0.25*_beta_1_ - 0.25*_beta_4_ - 0.25*_beta_7_ + 0.25*_beta_10_) q[3];
cx q[5], q[3];
ry(0.25*_beta_1_ + 0.25*_beta_4_ - 0.25*_beta_7_ - 0.25*_beta_10_) q[3];
cx q[6], q[3];
ry(0.25*_beta_2_ + 0.25*_beta_5_ + 0.25*_beta_8_ + 0.25*_beta_11_) q[4];
cx q[5], q[4];
ry(0.25*_beta_2_ - 0.25*_beta_5_ + 0.25*_beta_8_ - 0.25*_beta_11_) q[4];
cx q[6], q[4];
ry(0.25*_beta_2_ - 0.25*_beta_5_ - 0.25*_beta_8_ + 0.25*_beta_11_) q[4];
cx q[5], q[4];
ry(0.25*_beta_2_ + 0.25*_beta_5_ - 0.25*_beta_8_ - 0.25*_beta_11_) q[4];
cx q[6], q[4];
