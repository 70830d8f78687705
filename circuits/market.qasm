// qar-qiskit circuit market: market register: regime amplitudes and phases on codes 0000/0011/0101/1111
// regenerate: qar circuits export circuits/
OPENQASM 3.0;
include "stdgates.inc";
input float[64] _market_amp_0_;
input float[64] _market_amp_1_;
input float[64] _market_amp_2_;
input float[64] _market_phase_0_;
input float[64] _market_phase_1_;
input float[64] _market_phase_2_;
input float[64] _market_phase_3_;
gate rccx _gate_q_0, _gate_q_1, _gate_q_2 {
  h _gate_q_2;
  t _gate_q_2;
  cx _gate_q_1, _gate_q_2;
  tdg _gate_q_2;
  cx _gate_q_0, _gate_q_2;
  t _gate_q_2;
  cx _gate_q_1, _gate_q_2;
  tdg _gate_q_2;
  h _gate_q_2;
}
gate rzz(p0) _gate_q_0, _gate_q_1 {
  cx _gate_q_0, _gate_q_1;
  rz(p0) _gate_q_1;
  cx _gate_q_0, _gate_q_1;
}
qubit[4] q;
ry(_market_amp_0_) q[2];
ry(0.5*_market_amp_1_ + 0.5*_market_amp_2_) q[1];
cx q[2], q[1];
ry(0.5*_market_amp_1_ - 0.5*_market_amp_2_) q[1];
rccx q[1], q[2], q[3];
cx q[1], q[0];
cx q[2], q[0];
cx q[3], q[0];
p(-_market_phase_0_ + _market_phase_1_) q[1];
p(-_market_phase_0_ + _market_phase_2_) q[2];
rz((-_market_phase_2_ + _market_phase_3_ - _market_phase_1_ + _market_phase_0_ - pi/2)/2) q[1];
rz((-_market_phase_2_ + _market_phase_3_ - _market_phase_1_ + _market_phase_0_ - pi/2)/2) q[2];
rzz((pi/2 + _market_phase_2_ - _market_phase_3_ + _market_phase_1_ - _market_phase_0_)/2) q[1], q[2];
