//! Register and condition-code values.

use crate::backend::aarch64::*;

#[test]
fn cond_invert_pairs() {
    let all = [
        Cond::Eq,
        Cond::Ne,
        Cond::Cs,
        Cond::Cc,
        Cond::Mi,
        Cond::Pl,
        Cond::Vs,
        Cond::Vc,
        Cond::Hi,
        Cond::Ls,
        Cond::Ge,
        Cond::Lt,
        Cond::Gt,
        Cond::Le,
        Cond::Al,
        Cond::Nv,
    ];
    for (i, cond) in all.into_iter().enumerate() {
        assert_eq!(cond.bits(), i as u32);
        assert_eq!(cond.invert().bits(), cond.bits() ^ 1);
        assert_eq!(cond.invert().invert(), cond);
    }
    assert_eq!(Cond::HS, Cond::Cs);
    assert_eq!(Cond::LO, Cond::Cc);
}

#[test]
fn register_constructors() {
    assert_eq!(Reg::x(30), Some(X30));
    assert_eq!(Reg::w(0), Some(W0));
    assert_eq!(Reg::x(31), None);
    assert_eq!(X5.as_w(), W5);
    assert_eq!(SP.as_w(), WSP);
    assert_eq!(WZR.as_x(), XZR);
    assert_ne!(XZR, SP);
    assert_eq!((XZR.number(), SP.number()), (31, 31));
    assert_eq!(
        format!("{X3} {W4} {XZR} {WZR} {SP} {WSP}"),
        "x3 w4 xzr wzr sp wsp"
    );
}
