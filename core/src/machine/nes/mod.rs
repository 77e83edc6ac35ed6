//! The Nintendo Entertainment System (NTSC): the 2A03 CPU and APU, the
//! 2C02 PPU, the controller ports and the cartridge boards.

pub mod apu;
pub mod controller;
pub mod ines;
pub mod mapper;
pub mod ppu;
