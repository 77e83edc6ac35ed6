//! Host disassembly of generated code, for lockstep reports, block dumps
//! and the encoder's tests (yaxpeax-arm, an independent A64 decoder).

use yaxpeax_arch::{Decoder, U8Reader};
use yaxpeax_arm::armv8::a64::InstDecoder;

/// One word as yaxpeax-arm prints it, or a marker if it does not decode.
pub fn disasm(word: u32) -> String {
    let bytes = word.to_le_bytes();
    match InstDecoder::default().decode(&mut U8Reader::new(&bytes)) {
        Ok(inst) => inst.to_string(),
        Err(error) => format!("<{word:#010x}: {error}>"),
    }
}

/// `code` as lines of `offset: word  text`, offsets from `base`.
pub fn listing(code: &[u8], base: u64) -> Vec<String> {
    code.chunks_exact(4)
        .enumerate()
        .map(|(i, chunk)| {
            let word = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            format!("{:8x}: {word:08x}  {}", base + i as u64 * 4, disasm(word))
        })
        .collect()
}
