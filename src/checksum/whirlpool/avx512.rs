//! Whirlpool's compression function on AVX-512 (VBMI, BW) and GFNI: the 8x8-byte state is one
//! 512-bit register, a row in each 64-bit lane, byte j of a row at bits 8j..8j+8 (the state's
//! bytes in memory order). The only `unsafe` of the hasher lives here.
//!
//! One round is: SubBytes as two 128-byte table lookups (`vpermi2b`) and a select on each byte's
//! top bit; MixRows' products by 2, 4, 5, 8 and 9 (one `vgf2p8affineqb` each: multiplication by
//! a constant is GF(2)-linear); then each of MixRows' eight terms goes to its place, ShiftColumns
//! and the term's rotation within the row together, with one `vpermb`, and `vpternlogq` sums
//! them three at a time. The key schedule is the same round with the round constants for key, a
//! second chain the CPU runs beside the state's.
//!
//! Rounds and blocks form one chain of dependent instructions, so latency sets the pace: about
//! 27 cycles a round on Zen 5 (its permutes take 5 cycles, simple vector operations 2), 930 MB/s
//! of CPU time, 2.7x the scalar version. Measured no faster: ShiftColumns as one `vpermb` then
//! row rotations (`vprolq`); the select as a `vpmovb2m` mask and a blend; the products looked up
//! in five more S-box tables instead of computed.

use super::{C, ROUNDS, S, gmul};
use core::arch::x86_64::*;

/// Proof that the CPU runs `compress_blocks`: only `detect` makes one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Avx512(());

impl Avx512 {
    pub(super) fn detect() -> Option<Avx512> {
        let ok = is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vbmi")
            && is_x86_feature_detected!("gfni");
        ok.then_some(Avx512(()))
    }

    pub(super) fn compress(self, h: &mut [u8; 64], blocks: &[[u8; 64]]) {
        // SAFETY: an `Avx512` exists only once `detect` found every feature that
        // `compress_blocks` enables.
        unsafe { compress_blocks(h, blocks) }
    }
}

/// The 8x8 bit matrix, in `vgf2p8affineqb`'s layout, of the GF(2)-linear map x -> x * c:
/// output bit i is the parity of (byte 7 - i of the matrix) & x.
const fn mul_matrix(c: u8) -> u64 {
    let mut a = 0u64;
    let mut i = 0;
    while i < 8 {
        let mut row = 0u8;
        let mut k = 0;
        while k < 8 {
            if gmul(c, 1 << k) & (1 << i) != 0 {
                row |= 1 << k;
            }
            k += 1;
        }
        a |= (row as u64) << (8 * (7 - i));
        i += 1;
    }
    a
}

/// ShiftColumns followed by a rotation of every row by d bytes (byte j moves to j + d), as
/// `vpermb` indices: output byte (i, j) comes from input byte (i - j + d, j - d).
const fn shift_rotate(d: usize) -> [u8; 64] {
    let mut idx = [0u8; 64];
    let mut k = 0;
    while k < 64 {
        let (i, j) = (k / 8, (k % 8 + 8 - d) % 8);
        idx[k] = (8 * ((i + 8 - j) % 8) + j) as u8;
        k += 1;
    }
    idx
}

/// Round r's constant: the S-box's bytes 8r..8r+8 as row 0, the other rows zero.
const fn round_constant(r: usize) -> [u8; 64] {
    let mut rc = [0u8; 64];
    let mut j = 0;
    while j < 8 {
        rc[j] = S[8 * r + j];
        j += 1;
    }
    rc
}

const SHIFT_ROTATE: [[u8; 64]; 8] = {
    let mut t = [[0u8; 64]; 8];
    let mut d = 0;
    while d < 8 {
        t[d] = shift_rotate(d);
        d += 1;
    }
    t
};
const RC: [[u8; 64]; ROUNDS] = {
    let mut rc = [[0u8; 64]; ROUNDS];
    let mut r = 0;
    while r < ROUNDS {
        rc[r] = round_constant(r);
        r += 1;
    }
    rc
};

// The products MixRows needs: C[d] for the term moved by d bytes; terms 0, 1 and 3 take s itself.
const _: () = assert!(C[0] == 1 && C[1] == 1 && C[3] == 1);
const X4: u64 = mul_matrix(C[2]);
const X8: u64 = mul_matrix(C[4]);
const X5: u64 = mul_matrix(C[5]);
const X2: u64 = mul_matrix(C[6]);
const X9: u64 = mul_matrix(C[7]);

/// The constants of a round, held in registers across blocks.
struct Consts {
    sbox: [__m512i; 4],
    shift_rotate: [__m512i; 8],
    x2: __m512i,
    x4: __m512i,
    x5: __m512i,
    x8: __m512i,
    x9: __m512i,
    rc: [__m512i; ROUNDS],
}

#[target_feature(enable = "avx512f")]
#[inline]
fn vector(bytes: &[u8; 64]) -> __m512i {
    let (w, _) = bytes.as_chunks::<8>();
    let q = |i: usize| i64::from_le_bytes(w[i]);
    _mm512_set_epi64(q(7), q(6), q(5), q(4), q(3), q(2), q(1), q(0))
}

impl Consts {
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn new() -> Consts {
        let (quarters, _) = S.as_chunks::<64>();
        Consts {
            sbox: std::array::from_fn(|i| vector(&quarters[i])),
            shift_rotate: std::array::from_fn(|d| vector(&SHIFT_ROTATE[d])),
            x2: _mm512_set1_epi64(X2 as i64),
            x4: _mm512_set1_epi64(X4 as i64),
            x5: _mm512_set1_epi64(X5 as i64),
            x8: _mm512_set1_epi64(X8 as i64),
            x9: _mm512_set1_epi64(X9 as i64),
            rc: std::array::from_fn(|r| vector(&RC[r])),
        }
    }
}

/// One round of W on `x`, `key` added last.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,gfni")]
#[inline]
fn round(c: &Consts, x: __m512i, key: __m512i) -> __m512i {
    // SubBytes: bytes below 0x80 look up the S-box's first half, the others its second.
    // `vpshufb` zeroes the bytes whose index has its top bit set: 0xFF marks the first half.
    let lo = _mm512_permutex2var_epi8(c.sbox[0], x, c.sbox[1]);
    let hi = _mm512_permutex2var_epi8(c.sbox[2], x, c.sbox[3]);
    let first_half = _mm512_shuffle_epi8(_mm512_set1_epi8(-1), x);
    let s = _mm512_ternarylogic_epi64::<SELECT>(first_half, lo, hi);
    // MixRows after ShiftColumns: out(i, j) = sum_d C[d] * s(i - j + d, j - d). The products are
    // bytewise, so they come first; each term's move is then one `vpermb`.
    let term = |d: usize, v: __m512i| _mm512_permutexvar_epi8(c.shift_rotate[d], v);
    let mul = |v: __m512i, m: __m512i| _mm512_gf2p8affine_epi64_epi8::<0>(v, m);
    let (s4, s8, s5, s2, s9) = (
        mul(s, c.x4),
        mul(s, c.x8),
        mul(s, c.x5),
        mul(s, c.x2),
        mul(s, c.x9),
    );
    let a = _mm512_ternarylogic_epi64::<XOR3>(term(0, s), term(1, s), term(3, s));
    let b = _mm512_ternarylogic_epi64::<XOR3>(term(2, s4), term(4, s8), term(5, s5));
    let d = _mm512_ternarylogic_epi64::<XOR3>(term(6, s2), term(7, s9), key);
    _mm512_ternarylogic_epi64::<XOR3>(a, b, d)
}

/// `vpternlogq` truth tables: a ^ b ^ c, and a ? b : c.
const XOR3: i32 = 0x96;
const SELECT: i32 = 0xCA;

#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,gfni")]
fn compress_blocks(h: &mut [u8; 64], blocks: &[[u8; 64]]) {
    let c = Consts::new();
    let mut hv = vector(h);
    for block in blocks {
        // SAFETY: `block` is 64 readable bytes; the load has no alignment requirement.
        let m = unsafe { _mm512_loadu_si512(block.as_ptr().cast()) };
        let mut k = hv;
        let mut s = _mm512_xor_si512(m, k);
        for rc in c.rc {
            // The key's round and the state's are two chains; only the last xor joins them.
            k = round(&c, k, rc);
            s = round(&c, s, k);
        }
        hv = _mm512_ternarylogic_epi64::<XOR3>(hv, s, m);
    }
    // SAFETY: `h` is 64 writable bytes; the store has no alignment requirement.
    unsafe { _mm512_storeu_si512(h.as_mut_ptr().cast(), hv) };
}
