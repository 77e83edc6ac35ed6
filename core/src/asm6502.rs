//! A small two-pass 6502 assembler for this project's own guest programs
//! (the built-in NES demo, test programs), so they are written as readable
//! source instead of hand-assembled byte lists.
//!
//! Opcodes come from the CPU's decode table ([`OPCODES`]): an instruction is
//! encoded as the opcode whose mnemonic and addressing mode match, so the
//! assembler cannot disagree with the interpreter or the disassembler.
//!
//! The syntax is a subset of ca65's:
//!
//! - `label:` defines a label at the current address; labels starting with
//!   `@` are local to the previous ordinary label (stored as `outer@inner`).
//! - `NAME = expr` defines a constant.
//! - `;` starts a comment.
//! - Directives: `.org expr`, `.byte expr|"string", ...`, `.word expr, ...`,
//!   `.res count[, fill]`, `.align n[, fill]`.
//! - Operands: implied, `A` (or nothing) for the accumulator, `#expr`,
//!   `expr`, `expr,X`, `expr,Y`, `(expr,X)`, `(expr),Y`, `(expr)`, and branch
//!   targets. Zero page is chosen when the value is known in the first pass
//!   and below $100 (and the instruction has a zero-page form); `a:expr`
//!   forces absolute.
//! - Expressions: `$hex`, `%binary`, decimal, `'c'`, symbols, `*` (the
//!   address of the current line), unary `< > - ~ +`, binary
//!   `* / + - << >> & ^ |` with C's precedence, and parentheses. Unary
//!   operators bind tightest, so `<label+1` is `(<label)+1`.
//!
//! Mnemonics, directives and register names are case-insensitive; symbols
//! are case-sensitive. `A`, `X` and `Y` cannot be symbols.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use crate::cpu::mos6502::{Class, Mnemonic, Mode, OPCODES};

/// Why a source was refused: the 1-based line and what is wrong there.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct AsmError {
    /// 1-based source line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// A run of bytes assembled at consecutive addresses, started by `.org`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Segment {
    /// Address of the first byte.
    pub start: u16,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// The output of [`assemble`]: the bytes, by segment, and every symbol.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Assembly {
    segments: Vec<Segment>,
    symbols: BTreeMap<String, i64>,
}

impl Assembly {
    /// The non-empty segments, in address order; they never overlap.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Every label and constant (local labels as `outer@inner`).
    pub fn symbols(&self) -> &BTreeMap<String, i64> {
        &self.symbols
    }

    /// The value of a label or constant.
    pub fn symbol(&self, name: &str) -> Option<i64> {
        self.symbols.get(name).copied()
    }

    /// The value of a label or constant that is a 16-bit address.
    pub fn address(&self, name: &str) -> Option<u16> {
        self.symbol(name).and_then(|v| u16::try_from(v).ok())
    }

    /// The `len` bytes from `origin` (clipped at $FFFF): assembled bytes
    /// where there are any, `fill` elsewhere. Bytes outside the window are
    /// not part of the image.
    pub fn image(&self, origin: u16, len: usize, fill: u8) -> Vec<u8> {
        let start = usize::from(origin);
        let end = (start + len).min(1 << 16);
        let mut image = vec![fill; end - start];
        for segment in &self.segments {
            let s = usize::from(segment.start);
            for (i, &byte) in segment.bytes.iter().enumerate() {
                if (start..end).contains(&(s + i)) {
                    image[s + i - start] = byte;
                }
            }
        }
        image
    }
}

/// Assembles `source`.
pub fn assemble(source: &str) -> Result<Assembly, AsmError> {
    let lines = parse(source)?;
    let plan = first_pass(&lines)?;
    second_pass(&lines, plan)
}

// ---------------------------------------------------------------------------
// Lexing

#[derive(Clone, PartialEq, Eq, Debug)]
enum Tok {
    Num(i64),
    Ident(String),
    Str(Vec<u8>),
    Hash,
    Comma,
    Colon,
    Equals,
    LParen,
    RParen,
    Plus,
    Minus,
    Star,
    Slash,
    Amp,
    Pipe,
    Caret,
    Tilde,
    Lt,
    Gt,
    Shl,
    Shr,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Tok::Num(n) => return write!(f, "{n}"),
            Tok::Ident(name) => return write!(f, "{name}"),
            Tok::Str(s) => return write!(f, "\"{}\"", String::from_utf8_lossy(s)),
            Tok::Hash => "#",
            Tok::Comma => ",",
            Tok::Colon => ":",
            Tok::Equals => "=",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Amp => "&",
            Tok::Pipe => "|",
            Tok::Caret => "^",
            Tok::Tilde => "~",
            Tok::Lt => "<",
            Tok::Gt => ">",
            Tok::Shl => "<<",
            Tok::Shr => ">>",
        };
        f.write_str(s)
    }
}

/// Largest literal accepted; expressions are computed in `i64`, operands
/// are range-checked where they are used.
const MAX_LITERAL: i64 = 0xFFFF_FFFF;

fn lex(text: &str) -> Result<Vec<Tok>, String> {
    let bytes = text.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b';' => break,
            b' ' | b'\t' | b'\r' => i += 1,
            b'$' | b'%' | b'0'..=b'9' => {
                let (radix, digits_start) = match c {
                    b'$' => (16, i + 1),
                    b'%' => (2, i + 1),
                    _ => (10, i),
                };
                let mut j = digits_start;
                while j < bytes.len() && bytes[j].is_ascii_alphanumeric() {
                    j += 1;
                }
                let digits = &text[digits_start..j];
                if digits.is_empty() {
                    return Err(format!("`{}` is not followed by digits", c as char));
                }
                let value = i64::from_str_radix(digits, radix)
                    .ok()
                    .filter(|v| *v <= MAX_LITERAL)
                    .ok_or_else(|| format!("bad number `{}`", &text[i..j]))?;
                toks.push(Tok::Num(value));
                i = j;
            }
            b'\'' => {
                // 'c': one printable ASCII character.
                match bytes.get(i + 1..i + 3) {
                    Some([ch, b'\'']) if ch.is_ascii_graphic() || *ch == b' ' => {
                        toks.push(Tok::Num(i64::from(*ch)));
                        i += 3;
                    }
                    _ => return Err("bad character literal".to_string()),
                }
            }
            b'"' => {
                let end = text[i + 1..]
                    .find('"')
                    .ok_or_else(|| "unterminated string".to_string())?;
                let s = &text[i + 1..i + 1 + end];
                if !s.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
                    return Err("strings may hold printable ASCII only".to_string());
                }
                toks.push(Tok::Str(s.as_bytes().to_vec()));
                i += end + 2;
            }
            b'<' | b'>' if bytes.get(i + 1) == Some(&c) => {
                toks.push(if c == b'<' { Tok::Shl } else { Tok::Shr });
                i += 2;
            }
            _ if c.is_ascii_alphabetic() || matches!(c, b'_' | b'.' | b'@') => {
                let mut j = i + 1;
                while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                    j += 1;
                }
                toks.push(Tok::Ident(text[i..j].to_string()));
                i = j;
            }
            _ => {
                let tok = match c {
                    b'#' => Tok::Hash,
                    b',' => Tok::Comma,
                    b':' => Tok::Colon,
                    b'=' => Tok::Equals,
                    b'(' => Tok::LParen,
                    b')' => Tok::RParen,
                    b'+' => Tok::Plus,
                    b'-' => Tok::Minus,
                    b'*' => Tok::Star,
                    b'/' => Tok::Slash,
                    b'&' => Tok::Amp,
                    b'|' => Tok::Pipe,
                    b'^' => Tok::Caret,
                    b'~' => Tok::Tilde,
                    b'<' => Tok::Lt,
                    b'>' => Tok::Gt,
                    _ => {
                        let ch = text[i..].chars().next().unwrap_or('?');
                        return Err(format!("unexpected character `{ch}`"));
                    }
                };
                toks.push(tok);
                i += 1;
            }
        }
    }
    Ok(toks)
}

// ---------------------------------------------------------------------------
// Expressions

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum UnOp {
    Neg,
    Not,
    Low,
    High,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum BinOp {
    Mul,
    Div,
    Add,
    Sub,
    Shl,
    Shr,
    And,
    Xor,
    Or,
}

#[derive(Clone, PartialEq, Eq, Debug)]
enum Expr {
    Num(i64),
    Sym(String),
    Pc,
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

/// Binary operators by precedence level, loosest first (C's order).
const LEVELS: [&[(Tok, BinOp)]; 6] = [
    &[(Tok::Pipe, BinOp::Or)],
    &[(Tok::Caret, BinOp::Xor)],
    &[(Tok::Amp, BinOp::And)],
    &[(Tok::Shl, BinOp::Shl), (Tok::Shr, BinOp::Shr)],
    &[(Tok::Plus, BinOp::Add), (Tok::Minus, BinOp::Sub)],
    &[(Tok::Star, BinOp::Mul), (Tok::Slash, BinOp::Div)],
];

/// Deepest nesting of parentheses and unary operators accepted, so a
/// hostile line cannot exhaust the stack of the recursive parser.
const MAX_DEPTH: usize = 64;

struct ExprParser<'a> {
    toks: &'a [Tok],
    pos: usize,
    scope: &'a str,
    depth: usize,
}

impl ExprParser<'_> {
    fn binary(&mut self, level: usize) -> Result<Expr, String> {
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut lhs = self.binary(level + 1)?;
        'outer: loop {
            for (tok, op) in LEVELS[level] {
                if self.toks.get(self.pos) == Some(tok) {
                    self.pos += 1;
                    let rhs = self.binary(level + 1)?;
                    lhs = Expr::Binary(*op, Box::new(lhs), Box::new(rhs));
                    continue 'outer;
                }
            }
            return Ok(lhs);
        }
    }

    fn unary(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("expression nested too deeply".to_string());
        }
        let expr = self.operand();
        self.depth -= 1;
        expr
    }

    fn operand(&mut self) -> Result<Expr, String> {
        let tok = self
            .toks
            .get(self.pos)
            .ok_or_else(|| "expression expected".to_string())?;
        self.pos += 1;
        let op = match tok {
            Tok::Minus => UnOp::Neg,
            Tok::Tilde => UnOp::Not,
            Tok::Lt => UnOp::Low,
            Tok::Gt => UnOp::High,
            Tok::Plus => return self.unary(),
            Tok::Num(n) => return Ok(Expr::Num(*n)),
            Tok::Star => return Ok(Expr::Pc),
            Tok::Ident(name) => return Ok(Expr::Sym(symbol_name(name, self.scope)?)),
            Tok::LParen => {
                let inner = self.binary(0)?;
                if self.toks.get(self.pos) != Some(&Tok::RParen) {
                    return Err("`)` expected".to_string());
                }
                self.pos += 1;
                return Ok(inner);
            }
            other => return Err(format!("unexpected `{other}` in expression")),
        };
        Ok(Expr::Unary(op, Box::new(self.unary()?)))
    }
}

/// Parses all of `toks` as one expression.
fn parse_expr(toks: &[Tok], scope: &str) -> Result<Expr, String> {
    let mut parser = ExprParser {
        toks,
        pos: 0,
        scope,
        depth: 0,
    };
    let expr = parser.binary(0)?;
    match toks.get(parser.pos) {
        None => Ok(expr),
        Some(tok) => Err(format!("unexpected `{tok}` after expression")),
    }
}

/// The full name of a symbol written in `scope`: `@local` becomes
/// `scope@local`.
fn symbol_name(name: &str, scope: &str) -> Result<String, String> {
    if name.starts_with('.') {
        return Err(format!("directive `{name}` used as a value"));
    }
    if is_register(name) {
        return Err(format!("register `{name}` used as a value"));
    }
    if let Some(local) = name.strip_prefix('@') {
        if scope.is_empty() {
            return Err(format!("local label `{name}` before any label"));
        }
        if local.is_empty() {
            return Err("`@` needs a name".to_string());
        }
        return Ok(format!("{scope}@{local}"));
    }
    Ok(name.to_string())
}

fn is_register(name: &str) -> bool {
    ["a", "x", "y"].iter().any(|r| r.eq_ignore_ascii_case(name))
}

/// What an evaluation can see.
struct Env<'a> {
    symbols: &'a BTreeMap<String, i64>,
    pc: Option<u32>,
    /// In the last pass an unknown symbol is an error; before, it makes the
    /// value unknown.
    last_pass: bool,
}

impl Env<'_> {
    /// The value, or `None` when it depends on a symbol not yet defined.
    fn eval(&self, expr: &Expr) -> Result<Option<i64>, String> {
        Ok(match expr {
            Expr::Num(n) => Some(*n),
            Expr::Pc => Some(i64::from(
                self.pc
                    .ok_or_else(|| "`*` used before `.org`".to_string())?,
            )),
            Expr::Sym(name) => match self.symbols.get(name) {
                Some(v) => Some(*v),
                None if self.last_pass => return Err(format!("undefined symbol `{name}`")),
                None => None,
            },
            Expr::Unary(op, inner) => match self.eval(inner)? {
                Some(v) => Some(match op {
                    UnOp::Neg => v
                        .checked_neg()
                        .ok_or_else(|| "arithmetic overflow".to_string())?,
                    UnOp::Not => !v,
                    UnOp::Low => v & 0xFF,
                    UnOp::High => (v >> 8) & 0xFF,
                }),
                None => None,
            },
            Expr::Binary(op, lhs, rhs) => {
                // Both sides are evaluated so errors in either are reported.
                let (l, r) = (self.eval(lhs)?, self.eval(rhs)?);
                match (l, r) {
                    (Some(l), Some(r)) => Some(binary(*op, l, r)?),
                    _ => None,
                }
            }
        })
    }
}

fn binary(op: BinOp, l: i64, r: i64) -> Result<i64, String> {
    let shift = |r: i64| u32::try_from(r).ok().filter(|s| *s < 32);
    let value = match op {
        BinOp::Add => l.checked_add(r),
        BinOp::Sub => l.checked_sub(r),
        BinOp::Mul => l.checked_mul(r),
        BinOp::Div => {
            if r == 0 {
                return Err("division by zero".to_string());
            }
            l.checked_div(r)
        }
        BinOp::Shl => {
            let s = shift(r).ok_or_else(|| format!("shift by {r}"))?;
            l.checked_mul(1 << s)
        }
        BinOp::Shr => Some(l >> shift(r).ok_or_else(|| format!("shift by {r}"))?),
        BinOp::And => Some(l & r),
        BinOp::Xor => Some(l ^ r),
        BinOp::Or => Some(l | r),
    };
    value.ok_or_else(|| "arithmetic overflow".to_string())
}

// ---------------------------------------------------------------------------
// Parsing lines

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Index {
    X,
    Y,
}

#[derive(Clone, PartialEq, Eq, Debug)]
enum Operand {
    None,
    Accumulator,
    Immediate(Expr),
    Direct {
        expr: Expr,
        index: Option<Index>,
        force_absolute: bool,
    },
    Indirect(Expr),
    IndirectX(Expr),
    IndirectY(Expr),
}

#[derive(Clone, PartialEq, Eq, Debug)]
enum Data {
    Expr(Expr),
    Str(Vec<u8>),
}

#[derive(Clone, PartialEq, Eq, Debug)]
enum Stmt {
    Constant(String, Expr),
    Org(Expr),
    Byte(Vec<Data>),
    Word(Vec<Expr>),
    Res(Expr, Option<Expr>),
    Align(Expr, Option<Expr>),
    Instruction(Mnemonic, Operand),
}

#[derive(Clone, PartialEq, Eq, Debug)]
struct Line {
    number: usize,
    labels: Vec<String>,
    stmt: Option<Stmt>,
}

fn parse(source: &str) -> Result<Vec<Line>, AsmError> {
    let mut scope = String::new();
    let mut lines = Vec::new();
    for (i, text) in source.lines().enumerate() {
        let number = i + 1;
        let error = |message: String| AsmError {
            line: number,
            message,
        };
        let toks = lex(text).map_err(error)?;
        let line = parse_line(number, &toks, &mut scope).map_err(error)?;
        lines.push(line);
    }
    Ok(lines)
}

fn parse_line(number: usize, toks: &[Tok], scope: &mut String) -> Result<Line, String> {
    let mut labels = Vec::new();
    let mut rest = toks;
    while let [Tok::Ident(name), Tok::Colon, tail @ ..] = rest {
        if name.starts_with('.') || is_register(name) {
            return Err(format!("`{name}` cannot be a label"));
        }
        let full = symbol_name(name, scope)?;
        if !name.starts_with('@') {
            scope.clone_from(name);
        }
        labels.push(full);
        rest = tail;
    }
    let stmt = match rest {
        [] => None,
        [Tok::Ident(name), Tok::Equals, value @ ..] => {
            if name.starts_with(['.', '@']) || is_register(name) {
                return Err(format!("`{name}` cannot be a constant"));
            }
            Some(Stmt::Constant(name.clone(), parse_expr(value, scope)?))
        }
        [Tok::Ident(word), args @ ..] if word.starts_with('.') => {
            Some(parse_directive(word, args, scope)?)
        }
        [Tok::Ident(word), args @ ..] => {
            let mnemonic =
                find_mnemonic(word).ok_or_else(|| format!("unknown mnemonic `{word}`"))?;
            Some(Stmt::Instruction(mnemonic, parse_operand(args, scope)?))
        }
        [tok, ..] => return Err(format!("unexpected `{tok}` at the start of a statement")),
    };
    Ok(Line {
        number,
        labels,
        stmt,
    })
}

/// Splits `toks` at top-level commas (commas inside parentheses stay).
fn split_args(toks: &[Tok]) -> Vec<&[Tok]> {
    let mut args = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, tok) in toks.iter().enumerate() {
        match tok {
            Tok::LParen => depth += 1,
            Tok::RParen => depth = depth.saturating_sub(1),
            Tok::Comma if depth == 0 => {
                args.push(&toks[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    args.push(&toks[start..]);
    args
}

fn parse_directive(word: &str, args: &[Tok], scope: &str) -> Result<Stmt, String> {
    let name = word.to_ascii_lowercase();
    let list = if args.is_empty() {
        Vec::new()
    } else {
        split_args(args)
    };
    let exprs =
        || -> Result<Vec<Expr>, String> { list.iter().map(|arg| parse_expr(arg, scope)).collect() };
    let count = |min: usize, max: usize| -> Result<(), String> {
        if (min..=max).contains(&list.len()) {
            Ok(())
        } else if min == max {
            Err(format!("`{word}` takes {min} argument(s)"))
        } else {
            Err(format!("`{word}` takes {min} to {max} arguments"))
        }
    };
    match name.as_str() {
        ".org" => {
            count(1, 1)?;
            Ok(Stmt::Org(parse_expr(args, scope)?))
        }
        ".byte" => {
            count(1, usize::MAX)?;
            let items = list
                .iter()
                .map(|arg| match arg {
                    [Tok::Str(s)] => Ok(Data::Str(s.clone())),
                    _ => parse_expr(arg, scope).map(Data::Expr),
                })
                .collect::<Result<_, String>>()?;
            Ok(Stmt::Byte(items))
        }
        ".word" => {
            count(1, usize::MAX)?;
            Ok(Stmt::Word(exprs()?))
        }
        ".res" | ".align" => {
            count(1, 2)?;
            let mut e = exprs()?.into_iter();
            let (first, fill) = (e.next(), e.next());
            let first = first.ok_or_else(|| format!("`{word}` needs an argument"))?;
            Ok(if name == ".res" {
                Stmt::Res(first, fill)
            } else {
                Stmt::Align(first, fill)
            })
        }
        _ => Err(format!("unknown directive `{word}`")),
    }
}

/// The mnemonic spelt `word`, looked up in the decode table.
fn find_mnemonic(word: &str) -> Option<Mnemonic> {
    OPCODES
        .iter()
        .map(|o| o.mnemonic)
        .find(|m| m.name().eq_ignore_ascii_case(word))
}

fn index_register(tok: &Tok) -> Option<Index> {
    match tok {
        Tok::Ident(r) if r.eq_ignore_ascii_case("x") => Some(Index::X),
        Tok::Ident(r) if r.eq_ignore_ascii_case("y") => Some(Index::Y),
        _ => None,
    }
}

fn parse_operand(toks: &[Tok], scope: &str) -> Result<Operand, String> {
    match toks {
        [] => return Ok(Operand::None),
        [Tok::Ident(r)] if r.eq_ignore_ascii_case("a") => return Ok(Operand::Accumulator),
        [Tok::Hash, value @ ..] => return Ok(Operand::Immediate(parse_expr(value, scope)?)),
        _ => {}
    }
    // A leading `(` is indirection only when its `)` closes the operand or
    // is followed by `,Y`; otherwise, as in `(base+1)*2,X`, it is grouping.
    if toks[0] == Tok::LParen {
        let close = matching_paren(toks).ok_or_else(|| "unbalanced `(`".to_string())?;
        let inner = &toks[1..close];
        let after = &toks[close + 1..];
        if after.is_empty() {
            if let [head @ .., Tok::Comma, reg] = inner {
                return match index_register(reg) {
                    Some(Index::X) => Ok(Operand::IndirectX(parse_expr(head, scope)?)),
                    _ => Err("only `(zp,X)` is indexed inside the parentheses".to_string()),
                };
            }
            return Ok(Operand::Indirect(parse_expr(inner, scope)?));
        }
        if let [Tok::Comma, reg] = after
            && index_register(reg) == Some(Index::Y)
        {
            return Ok(Operand::IndirectY(parse_expr(inner, scope)?));
        }
    }
    let (force_absolute, toks) = match toks {
        [Tok::Ident(p), Tok::Colon, rest @ ..] if p.eq_ignore_ascii_case("a") => (true, rest),
        _ => (false, toks),
    };
    let (index, value) = match toks {
        [head @ .., Tok::Comma, reg] => {
            let index = index_register(reg).ok_or_else(|| format!("`{reg}` is not X or Y"))?;
            (Some(index), head)
        }
        _ => (None, toks),
    };
    Ok(Operand::Direct {
        expr: parse_expr(value, scope)?,
        index,
        force_absolute,
    })
}

/// Position of the `)` matching `toks[0]`.
fn matching_paren(toks: &[Tok]) -> Option<usize> {
    let mut depth = 0usize;
    for (i, tok) in toks.iter().enumerate() {
        match tok {
            Tok::LParen => depth += 1,
            Tok::RParen => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

// ---------------------------------------------------------------------------
// Encoding

/// The opcode for `mnemonic` in `mode`, preferring documented opcodes.
fn find_opcode(mnemonic: Mnemonic, mode: Mode) -> Option<u8> {
    let matching = || {
        (0u8..=255).filter(move |&code| {
            let o = &OPCODES[usize::from(code)];
            o.mnemonic == mnemonic && o.mode == mode
        })
    };
    matching()
        .find(|&code| OPCODES[usize::from(code)].class == Class::Documented)
        .or_else(|| matching().next())
}

fn has_mode(mnemonic: Mnemonic, mode: Mode) -> bool {
    find_opcode(mnemonic, mode).is_some()
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Implied => "implied",
        Mode::Accumulator => "accumulator",
        Mode::Immediate => "immediate",
        Mode::ZeroPage => "zero page",
        Mode::ZeroPageX => "zero page,X",
        Mode::ZeroPageY => "zero page,Y",
        Mode::Absolute => "absolute",
        Mode::AbsoluteX => "absolute,X",
        Mode::AbsoluteY => "absolute,Y",
        Mode::Indirect => "(indirect)",
        Mode::IndirectX => "(indirect,X)",
        Mode::IndirectY => "(indirect),Y",
        Mode::Relative => "relative",
    }
}

/// Picks the addressing mode in the first pass, when `known` is the
/// operand's value if already known. The choice fixes the instruction's
/// size for both passes.
fn choose_mode(mnemonic: Mnemonic, operand: &Operand, known: Option<i64>) -> Result<Mode, String> {
    let candidates: Vec<Mode> = match operand {
        Operand::None => vec![Mode::Implied, Mode::Accumulator],
        Operand::Accumulator => vec![Mode::Accumulator],
        Operand::Immediate(_) => vec![Mode::Immediate],
        Operand::Indirect(_) => vec![Mode::Indirect],
        Operand::IndirectX(_) => vec![Mode::IndirectX],
        Operand::IndirectY(_) => vec![Mode::IndirectY],
        Operand::Direct {
            index,
            force_absolute,
            ..
        } => {
            let (zp, abs) = match index {
                None => (Mode::ZeroPage, Mode::Absolute),
                Some(Index::X) => (Mode::ZeroPageX, Mode::AbsoluteX),
                Some(Index::Y) => (Mode::ZeroPageY, Mode::AbsoluteY),
            };
            if index.is_none() && has_mode(mnemonic, Mode::Relative) {
                vec![Mode::Relative]
            } else if *force_absolute {
                vec![abs]
            } else if known.is_some_and(|v| (0..=0xFF).contains(&v)) {
                vec![zp, abs]
            } else {
                // Unknown or wide: absolute, unless only a zero-page form
                // exists (STX zp,Y), whose range the second pass checks.
                vec![abs, zp]
            }
        }
    };
    candidates
        .iter()
        .copied()
        .find(|&mode| has_mode(mnemonic, mode))
        .ok_or_else(|| {
            format!(
                "{} has no {} addressing mode",
                mnemonic.name(),
                mode_name(candidates[0])
            )
        })
}

fn operand_expr(operand: &Operand) -> Option<&Expr> {
    match operand {
        Operand::None | Operand::Accumulator => None,
        Operand::Immediate(e)
        | Operand::Indirect(e)
        | Operand::IndirectX(e)
        | Operand::IndirectY(e)
        | Operand::Direct { expr: e, .. } => Some(e),
    }
}

/// Operand bytes of an instruction at `pc` whose operand evaluates to `value`.
fn operand_bytes(mode: Mode, value: i64, pc: u32) -> Result<Vec<u8>, String> {
    Ok(match mode {
        Mode::Implied | Mode::Accumulator => Vec::new(),
        Mode::Immediate => vec![byte(value, "immediate operand")?],
        Mode::ZeroPage | Mode::ZeroPageX | Mode::ZeroPageY | Mode::IndirectX | Mode::IndirectY => {
            if !(0..=0xFF).contains(&value) {
                return Err(format!("operand ${value:X} does not fit in zero page"));
            }
            vec![value as u8]
        }
        Mode::Absolute | Mode::AbsoluteX | Mode::AbsoluteY | Mode::Indirect => {
            address(value)?.to_le_bytes().to_vec()
        }
        Mode::Relative => {
            let target = address(value)?;
            let offset = i64::from(target) - (i64::from(pc) + 2);
            let offset = i8::try_from(offset).map_err(|_| {
                format!("branch target ${target:04X} is out of range ({offset} bytes)")
            })?;
            vec![offset as u8]
        }
    })
}

fn byte(value: i64, what: &str) -> Result<u8, String> {
    if (-0x80..=0xFF).contains(&value) {
        Ok(value as u8)
    } else {
        Err(format!("{what} {value} does not fit in a byte"))
    }
}

fn address(value: i64) -> Result<u16, String> {
    u16::try_from(value).map_err(|_| format!("address {value} is outside $0000-$FFFF"))
}

fn word(value: i64) -> Result<u16, String> {
    if (-0x8000..=0xFFFF).contains(&value) {
        Ok(value as u16)
    } else {
        Err(format!("value {value} does not fit in a word"))
    }
}

// ---------------------------------------------------------------------------
// The passes

/// What the first pass decided: addresses of labels, constants it could
/// evaluate, and every instruction's opcode and mode.
struct Plan {
    symbols: BTreeMap<String, i64>,
    /// Per line: the chosen opcode and mode, for instruction lines.
    encodings: Vec<Option<(u8, Mode)>>,
}

/// A count the first pass needs (`.org`, `.res`, `.align`): it must not
/// depend on symbols defined further down.
fn known_now(env: &Env, expr: &Expr, what: &str) -> Result<i64, String> {
    env.eval(expr)?
        .ok_or_else(|| format!("{what} must not depend on symbols defined later"))
}

fn padding(pc: u32, align: i64) -> Result<u32, String> {
    let n = u32::try_from(align)
        .ok()
        .filter(|n| (1..=0x1_0000).contains(n))
        .ok_or_else(|| format!("bad alignment {align}"))?;
    Ok((n - pc % n) % n)
}

fn res_count(count: i64) -> Result<u32, String> {
    u32::try_from(count)
        .ok()
        .filter(|n| *n <= 0x1_0000)
        .ok_or_else(|| format!("bad `.res` count {count}"))
}

/// Size of a statement once the first pass has chosen its encoding.
fn stmt_size(stmt: &Stmt, env: &Env, encoding: Option<(u8, Mode)>, pc: u32) -> Result<u32, String> {
    Ok(match stmt {
        Stmt::Constant(..) | Stmt::Org(_) => 0,
        Stmt::Byte(items) => items
            .iter()
            .map(|item| match item {
                Data::Expr(_) => 1,
                Data::Str(s) => s.len() as u32,
            })
            .sum(),
        Stmt::Word(items) => 2 * items.len() as u32,
        Stmt::Res(count, _) => res_count(known_now(env, count, "a `.res` count")?)?,
        Stmt::Align(n, _) => padding(pc, known_now(env, n, "an alignment")?)?,
        Stmt::Instruction(..) => encoding.map_or(0, |(_, mode)| 1 + u32::from(mode.operand_len())),
    })
}

fn define(symbols: &mut BTreeMap<String, i64>, name: &str, value: i64) -> Result<(), String> {
    if symbols.insert(name.to_string(), value).is_some() {
        return Err(format!("`{name}` is defined twice"));
    }
    Ok(())
}

fn first_pass(lines: &[Line]) -> Result<Plan, AsmError> {
    let mut symbols = BTreeMap::new();
    let mut encodings = Vec::with_capacity(lines.len());
    // Constants the first pass could not evaluate yet, with their lines.
    let mut pending: Vec<(&str, &Expr, usize, Option<u32>)> = Vec::new();
    let mut names = HashSet::new();
    let mut pc: Option<u32> = None;
    for line in lines {
        let error = |message: String| AsmError {
            line: line.number,
            message,
        };
        for label in &line.labels {
            let at = pc.ok_or_else(|| error(format!("label `{label}` before `.org`")))?;
            if !names.insert(label.as_str()) {
                return Err(error(format!("`{label}` is defined twice")));
            }
            define(&mut symbols, label, i64::from(at)).map_err(error)?;
        }
        let Some(stmt) = &line.stmt else {
            encodings.push(None);
            continue;
        };
        let env = Env {
            symbols: &symbols,
            pc,
            last_pass: false,
        };
        let mut encoding = None;
        let mut constant = None;
        match stmt {
            Stmt::Constant(name, expr) => {
                if !names.insert(name.as_str()) {
                    return Err(error(format!("`{name}` is defined twice")));
                }
                match env.eval(expr).map_err(error)? {
                    Some(value) => constant = Some((name, value)),
                    None => pending.push((name, expr, line.number, pc)),
                }
            }
            Stmt::Org(expr) => {
                let at = known_now(&env, expr, "`.org`").map_err(error)?;
                pc = Some(u32::from(address(at).map_err(error)?));
            }
            Stmt::Instruction(mnemonic, operand) => {
                let known = match operand_expr(operand) {
                    Some(expr) => env.eval(expr).map_err(error)?,
                    None => None,
                };
                let mode = choose_mode(*mnemonic, operand, known).map_err(error)?;
                let code = find_opcode(*mnemonic, mode)
                    .ok_or_else(|| error(format!("no opcode for {}", mnemonic.name())))?;
                encoding = Some((code, mode));
            }
            _ => {}
        }
        let size = stmt_size(stmt, &env, encoding, pc.unwrap_or(0)).map_err(error)?;
        if let Some((name, value)) = constant {
            define(&mut symbols, name, value).map_err(error)?;
        }
        if size > 0 {
            let at = pc.ok_or_else(|| error("code or data before `.org`".to_string()))?;
            if at + size > 0x1_0000 {
                return Err(error("assembled past $FFFF".to_string()));
            }
            pc = Some(at + size);
        }
        encodings.push(encoding);
    }
    // Constants defined from later symbols: resolve until nothing changes;
    // what is left refers to undefined symbols or to itself.
    while !pending.is_empty() {
        let before = pending.len();
        let mut still = Vec::new();
        for (name, expr, number, pc) in pending {
            let env = Env {
                symbols: &symbols,
                pc,
                last_pass: false,
            };
            let value = env.eval(expr).map_err(|message| AsmError {
                line: number,
                message,
            })?;
            match value {
                Some(v) => {
                    symbols.insert(name.to_string(), v);
                }
                None => still.push((name, expr, number, pc)),
            }
        }
        if still.len() == before {
            let (name, expr, number, pc) = still[0];
            let env = Env {
                symbols: &symbols,
                pc,
                last_pass: true,
            };
            let message = env
                .eval(expr)
                .err()
                .unwrap_or_else(|| format!("`{name}` cannot be evaluated"));
            return Err(AsmError {
                line: number,
                message,
            });
        }
        pending = still;
    }
    Ok(Plan { symbols, encodings })
}

fn second_pass(lines: &[Line], plan: Plan) -> Result<Assembly, AsmError> {
    let Plan { symbols, encodings } = plan;
    // (start, first line, bytes) per `.org`.
    let mut segments: Vec<(u16, usize, Vec<u8>)> = Vec::new();
    let mut pc: Option<u32> = None;
    for (line, encoding) in lines.iter().zip(encodings) {
        let error = |message: String| AsmError {
            line: line.number,
            message,
        };
        let Some(stmt) = &line.stmt else { continue };
        let env = Env {
            symbols: &symbols,
            pc,
            last_pass: true,
        };
        let eval = |expr: &Expr| -> Result<i64, AsmError> {
            env.eval(expr)
                .map_err(error)?
                .ok_or_else(|| error("value unknown".to_string()))
        };
        let mut out = Vec::new();
        match stmt {
            Stmt::Constant(..) => {}
            Stmt::Org(expr) => {
                let at = address(eval(expr)?).map_err(error)?;
                pc = Some(u32::from(at));
                segments.push((at, line.number, Vec::new()));
            }
            Stmt::Byte(items) => {
                for item in items {
                    match item {
                        Data::Str(s) => out.extend_from_slice(s),
                        Data::Expr(e) => out.push(byte(eval(e)?, "`.byte` value").map_err(error)?),
                    }
                }
            }
            Stmt::Word(items) => {
                for e in items {
                    out.extend(word(eval(e)?).map_err(error)?.to_le_bytes());
                }
            }
            Stmt::Res(_, fill) | Stmt::Align(_, fill) => {
                let fill = match fill {
                    Some(e) => byte(eval(e)?, "fill value").map_err(error)?,
                    None => 0,
                };
                let n = stmt_size(stmt, &env, None, pc.unwrap_or(0)).map_err(error)?;
                out.resize(n as usize, fill);
            }
            Stmt::Instruction(_, operand) => {
                let (code, mode) = encoding.ok_or_else(|| error("no encoding".to_string()))?;
                out.push(code);
                if let Some(expr) = operand_expr(operand) {
                    let at = pc.unwrap_or(0);
                    out.extend(operand_bytes(mode, eval(expr)?, at).map_err(error)?);
                }
            }
        }
        if !out.is_empty() {
            let at = pc.unwrap_or(0);
            pc = Some(at + out.len() as u32);
            match segments.last_mut() {
                Some(segment) => segment.2.extend(out),
                None => return Err(error("code or data before `.org`".to_string())),
            }
        }
    }
    segments.retain(|s| !s.2.is_empty());
    segments.sort_by_key(|s| s.0);
    for pair in segments.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if usize::from(a.0) + a.2.len() > usize::from(b.0) {
            let line = a.1.max(b.1);
            return Err(AsmError {
                line,
                message: format!(
                    "the segment at ${:04X} overlaps the one at ${:04X}",
                    b.0, a.0
                ),
            });
        }
    }
    Ok(Assembly {
        segments: segments
            .into_iter()
            .map(|(start, _, bytes)| Segment { start, bytes })
            .collect(),
        symbols,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::MappedBus;
    use crate::cpu::mos6502::{Variant, decode, disassemble};
    use crate::engine::{RunLimits, StopReason};
    use crate::machine::bare6502::Bare6502;

    /// The bytes of a source that assembles to one segment at $0200.
    fn bytes(body: &str) -> Vec<u8> {
        let asm = assemble(&format!(".org $0200\n{body}")).unwrap();
        assert_eq!(asm.segments().len(), 1, "{body}");
        asm.segments()[0].bytes.clone()
    }

    fn error(source: &str) -> AsmError {
        assemble(source).unwrap_err()
    }

    #[test]
    fn every_addressing_mode_encodes_as_the_decode_table_says() {
        use Mode::*;
        let cases: &[(&str, Mnemonic, Mode, &[u8])] = &[
            ("NOP", Mnemonic::Nop, Implied, &[0xEA]),
            ("asl", Mnemonic::Asl, Accumulator, &[0x0A]),
            ("ASL A", Mnemonic::Asl, Accumulator, &[0x0A]),
            ("LDA #$12", Mnemonic::Lda, Immediate, &[0xA9, 0x12]),
            ("LDA $12", Mnemonic::Lda, ZeroPage, &[0xA5, 0x12]),
            ("LDA $12,X", Mnemonic::Lda, ZeroPageX, &[0xB5, 0x12]),
            ("LDX $12,y", Mnemonic::Ldx, ZeroPageY, &[0xB6, 0x12]),
            ("LDA $1234", Mnemonic::Lda, Absolute, &[0xAD, 0x34, 0x12]),
            ("LDA a:$12", Mnemonic::Lda, Absolute, &[0xAD, 0x12, 0x00]),
            ("LDA $1234,X", Mnemonic::Lda, AbsoluteX, &[0xBD, 0x34, 0x12]),
            ("LDA $1234,Y", Mnemonic::Lda, AbsoluteY, &[0xB9, 0x34, 0x12]),
            // LDA has no zero page,Y: a small address still encodes.
            ("LDA $12,Y", Mnemonic::Lda, AbsoluteY, &[0xB9, 0x12, 0x00]),
            ("JMP ($1234)", Mnemonic::Jmp, Indirect, &[0x6C, 0x34, 0x12]),
            ("JMP $0012", Mnemonic::Jmp, Absolute, &[0x4C, 0x12, 0x00]),
            ("LDA ($12,X)", Mnemonic::Lda, IndirectX, &[0xA1, 0x12]),
            ("STA ($12),Y", Mnemonic::Sta, IndirectY, &[0x91, 0x12]),
            ("BNE *", Mnemonic::Bne, Relative, &[0xD0, 0xFE]),
            ("INC $12,X", Mnemonic::Inc, ZeroPageX, &[0xF6, 0x12]),
            ("STX $12,Y", Mnemonic::Stx, ZeroPageY, &[0x96, 0x12]),
            ("CPY #0", Mnemonic::Cpy, Immediate, &[0xC0, 0x00]),
            ("SBC #1", Mnemonic::Sbc, Immediate, &[0xE9, 0x01]),
        ];
        for &(source, mnemonic, mode, expected) in cases {
            let got = bytes(source);
            assert_eq!(got, expected, "{source}");
            let opcode = decode(got[0]);
            assert_eq!((opcode.mnemonic, opcode.mode), (mnemonic, mode), "{source}");
            assert_eq!(usize::from(opcode.instruction_len()), got.len(), "{source}");
        }
    }

    #[test]
    fn every_documented_opcode_is_reachable() {
        // Each documented (mnemonic, mode) pair round-trips through the
        // lookup: the assembler can produce all 151 documented opcodes.
        for (code, opcode) in OPCODES.iter().enumerate() {
            if opcode.class == Class::Documented {
                assert_eq!(
                    find_opcode(opcode.mnemonic, opcode.mode),
                    Some(code as u8),
                    "{code:02X}"
                );
            }
        }
        // SBC #imm also exists undocumented as $EB; the documented $E9 wins.
        assert_eq!(find_opcode(Mnemonic::Sbc, Mode::Immediate), Some(0xE9));
    }

    #[test]
    fn forward_references_resolve_and_take_absolute_addressing() {
        let asm = assemble(
            "        .org $10
early:  .byte 1
        .org $0200
start:  LDA later       ; unknown in pass 1: absolute
        LDA early       ; known zero page
        JMP end
        LDA #<far
        LDX #>far
        STX fwd,Y       ; STX has no absolute,Y: zero page,Y
end:    RTS
fwd = $40
far = end + $100
        .org $11
later:  .byte 2
",
        )
        .unwrap();
        let code = &asm.segments()[2];
        assert_eq!(code.start, 0x0200);
        let end = asm.address("end").unwrap();
        assert_eq!(end, 0x0200 + 3 + 2 + 3 + 2 + 2 + 2);
        let far = end + 0x100;
        assert_eq!(
            code.bytes,
            [
                0xAD,
                0x11,
                0x00,
                0xA5,
                0x10,
                0x4C,
                end as u8,
                (end >> 8) as u8,
                0xA9,
                far as u8,
                0xA2,
                (far >> 8) as u8,
                0x96,
                0x40,
                0x60,
            ]
        );
        assert_eq!(asm.symbol("far"), Some(i64::from(far)));
    }

    #[test]
    fn expressions() {
        let asm = assemble(
            "        .org $0300
base = $1234
        .byte <base, >base, base & $FF ^ 1, 1 + 2 * 3, (1 + 2) * 3
        .byte %101 << 2, $80 >> 3 | 1, -1, ~0 & $7F, 'A', 7 / 2, 10 - 4 - 3
        .word base + 1, *, -2
",
        )
        .unwrap();
        assert_eq!(
            asm.image(0x0300, 18, 0),
            [
                0x34, 0x12, 0x35, 7, 9, 20, 17, 0xFF, 0x7F, 0x41, 3, 3, 0x35, 0x12, 0x0C, 0x03,
                0xFE, 0xFF
            ]
        );
    }

    #[test]
    fn parentheses_group_unless_they_are_indirection() {
        // `(expr)` followed by anything but `,Y` is an ordinary value.
        assert_eq!(bytes("LDA (2+3)*2"), [0xA5, 10]);
        assert_eq!(bytes("LDA (2+3)*2,X"), [0xB5, 10]);
        assert_eq!(bytes("LDA ($10),X"), [0xB5, 0x10]);
        assert_eq!(bytes("LDA ($10+1),Y"), [0xB1, 0x11]);
        assert_eq!(bytes("LDA (($10)+1,x)"), [0xA1, 0x11]);
        assert_eq!(bytes("JMP (($1000))"), [0x6C, 0x00, 0x10]);
    }

    #[test]
    fn directives() {
        let asm = assemble(
            "        .org $0400
        .byte \"HI\", 0, 'x'
        .res 3, $EA
        .align 8, $FF
aligned:
        .word $BEEF
        .res 2
",
        )
        .unwrap();
        assert_eq!(asm.address("aligned"), Some(0x0408));
        assert_eq!(
            asm.image(0x0400, 14, 0x55),
            [
                b'H', b'I', 0, b'x', 0xEA, 0xEA, 0xEA, 0xFF, 0xEF, 0xBE, 0, 0, 0x55, 0x55
            ]
        );
    }

    #[test]
    fn local_labels_belong_to_the_previous_label() {
        let asm = assemble(
            "        .org $0200
one:    LDX #3
@loop:  DEX
        BNE @loop
two:    LDY #3
@loop:  DEY
        BNE @loop
        RTS
",
        )
        .unwrap();
        assert_eq!(asm.address("one@loop"), Some(0x0202));
        assert_eq!(asm.address("two@loop"), Some(0x0207));
        assert_eq!(asm.segments()[0].bytes[3..5], [0xD0, 0xFD]);
        assert_eq!(asm.segments()[0].bytes[8..10], [0xD0, 0xFD]);
    }

    #[test]
    fn errors_name_their_line() {
        let far_branch = ".org $0200\nloop: NOP\n.res 200\nBNE loop\n".to_string();
        let cases: Vec<(String, usize, &str)> = vec![
            (far_branch, 4, "out of range"),
            (".org 0\n\n  FOO #1\n".into(), 3, "unknown mnemonic `FOO`"),
            (
                ".org 0\n LDX ($12,X)\n".into(),
                2,
                "LDX has no (indirect,X)",
            ),
            (".org 0\n INX 5\n".into(), 2, "INX has no zero page"),
            (".org 0\n STA #1\n".into(), 2, "STA has no immediate"),
            (
                ".org 0\n JMP nowhere\n".into(),
                2,
                "undefined symbol `nowhere`",
            ),
            (".org 0\nx1: NOP\nx1: NOP\n".into(), 3, "defined twice"),
            (".org 0\n LDA #256\n".into(), 2, "does not fit in a byte"),
            (
                ".org 0\n LDA ($1234),Y\n".into(),
                2,
                "does not fit in zero page",
            ),
            (".org 0\n .byte 1 +\n".into(), 2, "expression expected"),
            (".org 0\n LDA (1\n".into(), 2, "unbalanced"),
            (".org later\nlater: NOP\n".into(), 1, "defined later"),
            ("  NOP\n".into(), 1, "before `.org`"),
            (".org $FFFF\n NOP\n NOP\n".into(), 3, "past $FFFF"),
            (".org 0\n .fill 3\n".into(), 2, "unknown directive"),
            (".org 0\n .byte 1/0\n".into(), 2, "division by zero"),
            (".org 0\n LDA $12,Z\n".into(), 2, "not X or Y"),
            (
                ".org 0\n .byte -(-$80000000 * $80000000 * 2)\n".into(),
                2,
                "overflow",
            ),
            (
                format!(".org 0\n LDA {}1{}\n", "(".repeat(9_999), ")".repeat(9_999)),
                2,
                "too deeply",
            ),
            (
                format!(".org 0\n LDA {}1\n", "-".repeat(10_000)),
                2,
                "too deeply",
            ),
            ("p = q\nq = p\n".into(), 1, "undefined symbol"),
            (".org 0\n NOP\n.org 0\n NOP\n".into(), 3, "overlaps"),
            (".org 0\n .byte \"open\n".into(), 2, "unterminated"),
        ];
        for (source, line, message) in cases {
            let e = error(&source);
            assert_eq!(e.line, line, "{source:?}: {e}");
            assert!(e.message.contains(message), "{source:?}: {e}");
            assert!(e.to_string().starts_with(&format!("line {line}: ")));
        }
    }

    #[test]
    fn disassembles_back_to_the_source() {
        let source = "LDA #$01
STA $20
LDX $20,Y
LDY $1234,X
ADC ($30,X)
SBC ($32),Y
JMP ($FFFC)
ROR A
BEQ $0200
BIT $2002
JSR $C000";
        let code = bytes(source);
        let mut pc = 0x0200u16;
        let mut offset = 0;
        let mut lines = Vec::new();
        while offset < code.len() {
            let mut window = [0u8; 3];
            for (i, b) in code[offset..].iter().take(3).enumerate() {
                window[i] = *b;
            }
            let (text, len) = disassemble(pc, window);
            lines.push(text);
            offset += usize::from(len);
            pc += u16::from(len);
        }
        assert_eq!(lines.join("\n"), source);
    }

    #[test]
    fn an_assembled_program_runs() {
        // Multiplies 13 by 11 by shift-and-add, then copies a string through
        // a zero-page pointer.
        let asm = assemble(
            "RESULT = $10
PTR = $12
        .org $0200
start:  LDA #0
        STA RESULT
        STA RESULT+1
        LDA #13
        STA $14         ; multiplicand, low
        LDA #0
        STA $15         ; multiplicand, high
        LDX #11         ; multiplier
@bit:   TXA
        LSR A
        TAX
        BCC @skip
        CLC
        LDA RESULT
        ADC $14
        STA RESULT
        LDA RESULT+1
        ADC $15
        STA RESULT+1
@skip:  ASL $14
        ROL $15
        CPX #0
        BNE @bit
        LDA #<text
        STA PTR
        LDA #>text
        STA PTR+1
        LDY #0
@copy:  LDA (PTR),Y
        BEQ done
        STA $0300,Y
        INY
        BNE @copy
done:   JMP done
text:   .byte \"RETROJIT\", 0
",
        )
        .unwrap();
        let mut machine = Bare6502::new(Variant::Nmos);
        for segment in asm.segments() {
            machine.load(segment.start, &segment.bytes).unwrap();
        }
        machine.cpu.regs.pc = asm.address("start").unwrap();
        let report = machine.run(RunLimits::default());
        assert_eq!(
            report.reason,
            StopReason::Trap {
                pc: asm.address("done").unwrap()
            }
        );
        let ram = machine.bus.memory().data();
        assert_eq!(u16::from_le_bytes([ram[0x10], ram[0x11]]), 143);
        assert_eq!(&ram[0x0300..0x0308], b"RETROJIT");
    }
}
