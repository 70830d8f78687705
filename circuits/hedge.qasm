// qar-qiskit circuit hedge: Hedge weights register (default plan size)
// regenerate: qar circuits export circuits/
OPENQASM 3.0;
include "stdgates.inc";
input float[64] _hedge_0_;
input float[64] _hedge_1_;
input float[64] _hedge_2_;
input float[64] _hedge_3_;
input float[64] _hedge_4_;
input float[64] _hedge_5_;
input float[64] _hedge_6_;
qubit[3] q;
ry(_hedge_0_) q[2];
ry(0.5*_hedge_1_ + 0.5*_hedge_2_) q[1];
cx q[2], q[1];
ry(0.5*_hedge_1_ - 0.5*_hedge_2_) q[1];
ry(0.25*_hedge_3_ + 0.25*_hedge_4_ + 0.25*_hedge_5_ + 0.25*_hedge_6_) q[0];
cx q[1], q[0];
ry(0.25*_hedge_3_ - 0.25*_hedge_4_ + 0.25*_hedge_5_ - 0.25*_hedge_6_) q[0];
cx q[2], q[0];
ry(0.25*_hedge_3_ - 0.25*_hedge_4_ - 0.25*_hedge_5_ + 0.25*_hedge_6_) q[0];
cx q[1], q[0];
ry(0.25*_hedge_3_ + 0.25*_hedge_4_ - 0.25*_hedge_5_ - 0.25*_hedge_6_) q[0];
