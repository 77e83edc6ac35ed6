//! Optional debugging output shared by the JIT engines: a dump of every
//! translated block (guest disassembly, IR, host disassembly) and a `perf`
//! symbol map naming generated code.

use crate::cache::BlockCache;
use crate::ir::Block;
use std::io::Write;
use std::path::PathBuf;

/// Where debugging output goes; both off by default.
#[derive(Debug, Default)]
pub struct JitDebug {
    dump_dir: Option<PathBuf>,
    perf_map: Option<std::fs::File>,
}

/// A block just inserted into the cache, as the dump names it.
pub(crate) struct RecordedBlock<'a> {
    /// File and symbol name, e.g. `z80_0123`.
    pub name: String,
    /// The first line of the dump (where, which mode).
    pub title: String,
    /// The guest instructions, one line each.
    pub guest: Vec<String>,
    /// The block's IR after optimisation.
    pub block: &'a Block,
    /// Whether the optimiser ran.
    pub optimized: bool,
    /// Its cache key (start PC, decimal-mode flag).
    pub key: (u16, bool),
}

/// The block's guest instructions as `ADDR  TEXT` lines, each decoded by
/// `disassemble(pc) -> (text, length)`.
pub(crate) fn guest_lines(
    block: &Block,
    disassemble: impl Fn(u16) -> (String, u16),
) -> Vec<String> {
    let mut lines = Vec::new();
    let mut pc = block.start;
    while pc.wrapping_sub(block.start) < block.len {
        let (text, len) = disassemble(pc);
        lines.push(format!("{pc:04X}  {text}"));
        pc = pc.wrapping_add(len.max(1));
    }
    lines
}

impl JitDebug {
    /// Dumps every block translated from now on into `dir`.
    pub fn dump_blocks_to(&mut self, dir: PathBuf) -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        self.dump_dir = Some(dir);
        Ok(())
    }

    /// Appends every block translated from now on to `/tmp/perf-<pid>.map`,
    /// so `perf report` can name generated code. Returns the path.
    pub fn write_perf_map(&mut self) -> std::io::Result<PathBuf> {
        let path = PathBuf::from(format!("/tmp/perf-{}.map", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        self.perf_map = Some(file);
        Ok(path)
    }

    /// Whether a block needs recording at all (the guest disassembly is
    /// only worth building then).
    pub(crate) fn enabled(&self) -> bool {
        self.dump_dir.is_some() || self.perf_map.is_some()
    }

    /// Writes the output for a block just inserted. A failure turns
    /// debugging output off (with one message) rather than stopping the run.
    pub(crate) fn record(&mut self, cache: &BlockCache, recorded: &RecordedBlock) {
        if let Err(e) = self.try_record(cache, recorded) {
            eprintln!("retrojit: JIT debug output: {e}");
            *self = Self::default();
        }
    }

    fn try_record(&mut self, cache: &BlockCache, b: &RecordedBlock) -> std::io::Result<()> {
        let Some(cached) = cache.lookup(b.key.0, b.key.1) else {
            return Ok(());
        };
        let entry = cache.entry(cached) as usize;
        if let Some(map) = &mut self.perf_map {
            writeln!(map, "{entry:x} {:x} {}", cached.size, b.name)?;
        }
        if let Some(dir) = &self.dump_dir {
            let mut text = format!(
                "{} at {entry:#x}, {} bytes of code, {} instructions, worst case {} cycles\n\nguest code:\n",
                b.title, cached.size, b.block.instructions, b.block.worst_cycles
            );
            for line in &b.guest {
                text.push_str(&format!("  {line}\n"));
            }
            text.push_str(&format!(
                "\nIR (optimized: {}):\n{}\nhost code:\n",
                b.optimized, b.block
            ));
            for line in crate::backend::host::disasm::listing(cache.code(cached), entry as u64) {
                text.push_str(&format!("  {line}\n"));
            }
            std::fs::write(dir.join(format!("{}.txt", b.name)), text)?;
        }
        Ok(())
    }
}
