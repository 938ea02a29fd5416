// Lossless encodings must reproduce their uncompressed twins exactly (every frame, every value).
import { describe, expect, it } from 'vitest';
import { corpusPresent, decodeFrame, firstDifference, openImage } from './corpusHelpers';

const PD = 'pydicom_data/';
const TF = 'pydicom_test_files/';
const LJ = 'pylibjpeg_data/ds/';
const DP = 'dicomParser_testImages/';
const SF = `${DP}encapsulated/single-frame/`;
const MF = `${DP}encapsulated/multi-frame/`;

// [reference (uncompressed little endian), twins that must decode to identical values]
const pairs: Array<[string, string[]]> = [
  [`${TF}MR_small.dcm`, [`${TF}MR_small_RLE.dcm`, `${TF}MR_small_jp2klossless.dcm`, `${TF}MR_small_jpeg_ls_lossless.dcm`, `${TF}MR_small_bigendian.dcm`, `${TF}MR_small_expb.dcm`, `${TF}MR_small_implicit.dcm`]],
  [`${PD}emri_small.dcm`, [`${PD}emri_small_RLE.dcm`, `${PD}emri_small_jpeg_2k_lossless.dcm`, `${PD}emri_small_jpeg_ls_lossless.dcm`, `${PD}emri_small_big_endian.dcm`,
    // 8 bytes short of its sequence delimiter: every codestream is still complete.
    `${PD}emri_small_jpeg_2k_lossless_too_short.dcm`]],
  [`${DP}CT1_UNC.explicit_little_endian.dcm`, [`${DP}CT1_UNC.explicit_big_endian.dcm`, `${DP}CT1_UNC.implicit_little_endian.dcm`, `${SF}CT1_UNC.fragmented_bot_jpeg_ls.80.dcm`, `${SF}CT1_UNC.fragmented_no_bot_jpeg_ls.80.dcm`, `${SF}CT1_UNC.not_fragmented_bot_jpeg_ls.80.dcm`, `${SF}CT1_UNC.not_fragmented_no_bot_jpeg_ls.80.dcm`]],
  [`${MF}CT0012.explicit_little_endian.dcm`, [`${MF}CT0012.fragmented_no_bot_jpeg_lossless.57.dcm`, `${MF}CT0012.fragmented_no_bot_jpeg_lossless.70.dcm`, `${MF}CT0012.fragmented_no_bot_jpeg_ls.80.dcm`, `${MF}CT0012.not_fragmented_bot_jpeg_ls.80.dcm`, `${MF}CT0012.not_fragmented_no_bot_jpeg_ls.80.dcm`, `${MF}CT0012.not_fragmented_bot_rle.dcm`, `${MF}CT0012.not_fragmented_no_bot_rle.dcm`]],
  // *_UNCR are the reversible (lossless) twins; *_UNCI were made from the lossy *_J2KI.
  [`${PD}693_UNCR.dcm`, [`${PD}693_J2KR.dcm`]],
  [`${PD}MR2_UNCR.dcm`, [`${PD}MR2_J2KR.dcm`]],
  [`${PD}US1_UNCR.dcm`, [`${PD}US1_J2KR.dcm`]],
  [`${PD}OBXXXX1A.dcm`, [`${PD}OBXXXX1A_rle.dcm`, `${PD}OBXXXX1A_expb.dcm`]],
  [`${PD}OBXXXX1A_2frame.dcm`, [`${PD}OBXXXX1A_rle_2frame.dcm`, `${PD}OBXXXX1A_expb_2frame.dcm`]],
  [`${PD}SC_rgb.dcm`, [`${TF}SC_rgb_rle.dcm`, `${PD}SC_rgb_expb.dcm`, `${LJ}JPEGLosslessSV1/SC_rgb_jpeg_gdcm.dcm`]],
  [`${PD}SC_rgb_2frame.dcm`, [`${TF}SC_rgb_rle_2frame.dcm`, `${PD}SC_rgb_expb_2frame.dcm`]],
  [`${PD}SC_rgb_16bit.dcm`, [`${TF}SC_rgb_rle_16bit.dcm`, `${PD}SC_rgb_expb_16bit.dcm`]],
  [`${PD}SC_rgb_16bit_2frame.dcm`, [`${TF}SC_rgb_rle_16bit_2frame.dcm`, `${PD}SC_rgb_expb_16bit_2frame.dcm`]],
  [`${PD}SC_rgb_32bit.dcm`, [`${TF}SC_rgb_rle_32bit.dcm`, `${PD}SC_rgb_expb_32bit.dcm`]],
  [`${PD}SC_rgb_32bit_2frame.dcm`, [`${TF}SC_rgb_rle_32bit_2frame.dcm`, `${PD}SC_rgb_expb_32bit_2frame.dcm`]],
  [`${PD}liver.dcm`, [`${PD}liver_expb.dcm`, `${PD}liver_rle.dcm`, `${PD}liver_j2k.dcm`, `${PD}liver_deflate.dcm`]],
  [`${PD}liver_nonbyte_aligned.dcm`, [`${PD}liver_nonbyte_aligned_rle.dcm`, `${PD}liver_nonbyte_aligned_j2k.dcm`, `${PD}liver_nonbyte_aligned_deflate.dcm`]],
  [`${PD}gdcm-US-ALOKA-16.dcm`, [`${PD}gdcm-US-ALOKA-16_big.dcm`]],
  [`${LJ}LittleEndianImplicit/rtdose.dcm`, [`${LJ}RLELossless/rtdose_rle.dcm`]],
  [`${PD}JLSL_RGB_ILV0.dcm`, [`${PD}JLSL_RGB_ILV1.dcm`, `${PD}JLSL_RGB_ILV2.dcm`]],
  [`${LJ}JPEGLSLossless/RG2_JLSL.dcm`, [`${LJ}JPEGLosslessSV1/RG2_JPLL.dcm`]],
];

describe.skipIf(!corpusPresent)('lossless twins decode bit-exact', () => {
  for (const [reference, twins] of pairs) {
    for (const twin of twins) {
      it(`${twin} equals ${reference}`, async () => {
        const a = await openImage(reference);
        const b = await openImage(twin);
        expect([b.rows, b.columns, b.frames]).toEqual([a.rows, a.columns, a.frames]);
        for (let i = 0; i < a.frames; i++) {
          const fa = await decodeFrame(a, i);
          const fb = await decodeFrame(b, i);
          expect(fb.kind).toBe(fa.kind);
          expect(firstDifference(fa.data, fb.data), `frame ${i}`).toBe(-1);
        }
      });
    }
  }
});
