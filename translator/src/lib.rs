//! retrojit's dynamic binary translator.
