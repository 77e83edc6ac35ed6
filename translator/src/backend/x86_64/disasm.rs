//! Host disassembly of generated x86-64 code (iced-x86, an independent
//! decoder), for lockstep reports, block dumps and the encoder's tests.

use iced_x86::{Decoder, DecoderOptions, Formatter, Instruction, IntelFormatter};

/// Each instruction of `code` as `(offset, length, text)`; bytes that do
/// not decode give one `(offset, 1, "<invalid>")` entry each.
pub fn decode(code: &[u8], base: u64) -> Vec<(u64, usize, String)> {
    let mut decoder = Decoder::with_ip(64, code, base, DecoderOptions::NONE);
    let mut formatter = IntelFormatter::new();
    let mut instruction = Instruction::default();
    let mut out = Vec::new();
    while decoder.can_decode() {
        decoder.decode_out(&mut instruction);
        let text = if instruction.is_invalid() {
            "<invalid>".to_string()
        } else {
            let mut text = String::new();
            formatter.format(&instruction, &mut text);
            text
        };
        out.push((instruction.ip(), instruction.len(), text));
    }
    out
}

/// `code` as lines of `offset: bytes  text`, offsets from `base`.
pub fn listing(code: &[u8], base: u64) -> Vec<String> {
    decode(code, base)
        .into_iter()
        .map(|(ip, len, text)| {
            let start = (ip - base) as usize;
            let bytes: String = code[start..start + len]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            format!("{ip:8x}: {bytes:<22} {text}")
        })
        .collect()
}
