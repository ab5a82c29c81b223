package org.inceptionj.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A 16 × 16 transpose in registers, between "channels in the lanes" (a vector per position, the
 * layout of {@link Conv2dBlocked}'s tiles and of its blocked copy of x) and NCHW planes (a vector of
 * 16 positions per channel). It moves values only, so it changes no bit.
 *
 * <p>Why: a vector of 16 channels at one position goes to 16 planes, one float each. As a scatter
 * that costs about 10 ns a vector on Zen 4 (measured: a 192-channel 71×71 output at batch 8, 5.3 ms
 * on one thread), about three times a plain store of the same data (1.9 ms); gathering back from
 * L1 (16 floats at stride 16) cost 3.4 ms. Sixteen such vectors transposed with 64 two-vector
 * selects and stored as 16 rows of 16 positions ran in 1.9 ms, the time of the stores.
 *
 * <p>The transpose is four rounds of block swaps: round b (8, 4, 2, 1) pairs rows i and i + b (i
 * with bit b clear) and swaps the upper b-block of each 2b-block of row i with the lower b-block of
 * the same 2b-block of row i + b; after the four rounds, lane j of row i holds what lane i of row j
 * held. Each swap is one {@code selectFrom} of two vectors (vpermt2ps) per row.
 *
 * <p>Only for 16-float vectors ({@link #APPLIES}); other widths keep their gathers and scatters.
 */
final class Transpose {
    private Transpose() {
    }

    private static final VectorSpecies<Float> F = Vectors.F;

    /** Whether vectors hold 16 floats, the size this transpose is written for. */
    static final boolean APPLIES = F.length() == 16;

    /** Round b's selects over (row i, row i + b): LO gives the new row i, HI the new row i + b. */
    private static final FloatVector LO8 = select(8, false), HI8 = select(8, true), LO4 = select(4, false),
            HI4 = select(4, true), LO2 = select(2, false), HI2 = select(2, true), LO1 = select(1, false),
            HI1 = select(1, true);

    /**
     * Index vector of a two-vector select (lanes 0–15 from the first vector, 16–31 from the second): for
     * the new row i (lo), lane k keeps row i's lane k where bit b of k is clear and takes row i + b's
     * lane k − b where it is set; for the new row i + b (hi), lane k takes row i's lane k + b where bit b
     * is clear and keeps its own lane k where it is set.
     */
    private static FloatVector select(int b, boolean hi) {
        if (!APPLIES) {
            return null;
        }
        float[] index = new float[16];
        for (int k = 0; k < 16; k++) {
            boolean set = (k & b) != 0;
            index[k] = hi ? (set ? 16 + k : k + b) : (set ? 16 + k - b : k);
        }
        return FloatVector.fromArray(F, index, 0);
    }

    /**
     * For r &lt; 16 and k &lt; rows: b[bOff + k·bStride + r] = a[aOff + r·aStride + k]: the 16 vectors
     * at a's rows r, transposed, and the first {@code rows} of the results stored at b's rows k. Rows of
     * b past {@code rows} are not written; a's 16 rows must all be readable.
     */
    static void transpose(float[] a, int aOff, int aStride, float[] b, int bOff, int bStride, int rows) {
        FloatVector r0 = FloatVector.fromArray(F, a, aOff);
        FloatVector r1 = FloatVector.fromArray(F, a, aOff + aStride);
        FloatVector r2 = FloatVector.fromArray(F, a, aOff + 2 * aStride);
        FloatVector r3 = FloatVector.fromArray(F, a, aOff + 3 * aStride);
        FloatVector r4 = FloatVector.fromArray(F, a, aOff + 4 * aStride);
        FloatVector r5 = FloatVector.fromArray(F, a, aOff + 5 * aStride);
        FloatVector r6 = FloatVector.fromArray(F, a, aOff + 6 * aStride);
        FloatVector r7 = FloatVector.fromArray(F, a, aOff + 7 * aStride);
        FloatVector r8 = FloatVector.fromArray(F, a, aOff + 8 * aStride);
        FloatVector r9 = FloatVector.fromArray(F, a, aOff + 9 * aStride);
        FloatVector r10 = FloatVector.fromArray(F, a, aOff + 10 * aStride);
        FloatVector r11 = FloatVector.fromArray(F, a, aOff + 11 * aStride);
        FloatVector r12 = FloatVector.fromArray(F, a, aOff + 12 * aStride);
        FloatVector r13 = FloatVector.fromArray(F, a, aOff + 13 * aStride);
        FloatVector r14 = FloatVector.fromArray(F, a, aOff + 14 * aStride);
        FloatVector r15 = FloatVector.fromArray(F, a, aOff + 15 * aStride);
        // b = 8: rows i, i + 8.
        FloatVector t0 = LO8.selectFrom(r0, r8), t8 = HI8.selectFrom(r0, r8);
        FloatVector t1 = LO8.selectFrom(r1, r9), t9 = HI8.selectFrom(r1, r9);
        FloatVector t2 = LO8.selectFrom(r2, r10), t10 = HI8.selectFrom(r2, r10);
        FloatVector t3 = LO8.selectFrom(r3, r11), t11 = HI8.selectFrom(r3, r11);
        FloatVector t4 = LO8.selectFrom(r4, r12), t12 = HI8.selectFrom(r4, r12);
        FloatVector t5 = LO8.selectFrom(r5, r13), t13 = HI8.selectFrom(r5, r13);
        FloatVector t6 = LO8.selectFrom(r6, r14), t14 = HI8.selectFrom(r6, r14);
        FloatVector t7 = LO8.selectFrom(r7, r15), t15 = HI8.selectFrom(r7, r15);
        // b = 4: rows i, i + 4 within each half.
        r0 = LO4.selectFrom(t0, t4);
        r4 = HI4.selectFrom(t0, t4);
        r1 = LO4.selectFrom(t1, t5);
        r5 = HI4.selectFrom(t1, t5);
        r2 = LO4.selectFrom(t2, t6);
        r6 = HI4.selectFrom(t2, t6);
        r3 = LO4.selectFrom(t3, t7);
        r7 = HI4.selectFrom(t3, t7);
        r8 = LO4.selectFrom(t8, t12);
        r12 = HI4.selectFrom(t8, t12);
        r9 = LO4.selectFrom(t9, t13);
        r13 = HI4.selectFrom(t9, t13);
        r10 = LO4.selectFrom(t10, t14);
        r14 = HI4.selectFrom(t10, t14);
        r11 = LO4.selectFrom(t11, t15);
        r15 = HI4.selectFrom(t11, t15);
        // b = 2.
        t0 = LO2.selectFrom(r0, r2);
        t2 = HI2.selectFrom(r0, r2);
        t1 = LO2.selectFrom(r1, r3);
        t3 = HI2.selectFrom(r1, r3);
        t4 = LO2.selectFrom(r4, r6);
        t6 = HI2.selectFrom(r4, r6);
        t5 = LO2.selectFrom(r5, r7);
        t7 = HI2.selectFrom(r5, r7);
        t8 = LO2.selectFrom(r8, r10);
        t10 = HI2.selectFrom(r8, r10);
        t9 = LO2.selectFrom(r9, r11);
        t11 = HI2.selectFrom(r9, r11);
        t12 = LO2.selectFrom(r12, r14);
        t14 = HI2.selectFrom(r12, r14);
        t13 = LO2.selectFrom(r13, r15);
        t15 = HI2.selectFrom(r13, r15);
        // b = 1, each result stored as soon as it is made.
        if (rows == 16) {
            LO1.selectFrom(t0, t1).intoArray(b, bOff);
            HI1.selectFrom(t0, t1).intoArray(b, bOff + bStride);
            LO1.selectFrom(t2, t3).intoArray(b, bOff + 2 * bStride);
            HI1.selectFrom(t2, t3).intoArray(b, bOff + 3 * bStride);
            LO1.selectFrom(t4, t5).intoArray(b, bOff + 4 * bStride);
            HI1.selectFrom(t4, t5).intoArray(b, bOff + 5 * bStride);
            LO1.selectFrom(t6, t7).intoArray(b, bOff + 6 * bStride);
            HI1.selectFrom(t6, t7).intoArray(b, bOff + 7 * bStride);
            LO1.selectFrom(t8, t9).intoArray(b, bOff + 8 * bStride);
            HI1.selectFrom(t8, t9).intoArray(b, bOff + 9 * bStride);
            LO1.selectFrom(t10, t11).intoArray(b, bOff + 10 * bStride);
            HI1.selectFrom(t10, t11).intoArray(b, bOff + 11 * bStride);
            LO1.selectFrom(t12, t13).intoArray(b, bOff + 12 * bStride);
            HI1.selectFrom(t12, t13).intoArray(b, bOff + 13 * bStride);
            LO1.selectFrom(t14, t15).intoArray(b, bOff + 14 * bStride);
            HI1.selectFrom(t14, t15).intoArray(b, bOff + 15 * bStride);
            return;
        }
        // A part-filled last vector of channels: its first rows only (rows ≥ 1).
        LO1.selectFrom(t0, t1).intoArray(b, bOff);
        if (rows > 1) {
            HI1.selectFrom(t0, t1).intoArray(b, bOff + bStride);
        }
        if (rows > 2) {
            LO1.selectFrom(t2, t3).intoArray(b, bOff + 2 * bStride);
        }
        if (rows > 3) {
            HI1.selectFrom(t2, t3).intoArray(b, bOff + 3 * bStride);
        }
        if (rows > 4) {
            LO1.selectFrom(t4, t5).intoArray(b, bOff + 4 * bStride);
        }
        if (rows > 5) {
            HI1.selectFrom(t4, t5).intoArray(b, bOff + 5 * bStride);
        }
        if (rows > 6) {
            LO1.selectFrom(t6, t7).intoArray(b, bOff + 6 * bStride);
        }
        if (rows > 7) {
            HI1.selectFrom(t6, t7).intoArray(b, bOff + 7 * bStride);
        }
        if (rows > 8) {
            LO1.selectFrom(t8, t9).intoArray(b, bOff + 8 * bStride);
        }
        if (rows > 9) {
            HI1.selectFrom(t8, t9).intoArray(b, bOff + 9 * bStride);
        }
        if (rows > 10) {
            LO1.selectFrom(t10, t11).intoArray(b, bOff + 10 * bStride);
        }
        if (rows > 11) {
            HI1.selectFrom(t10, t11).intoArray(b, bOff + 11 * bStride);
        }
        if (rows > 12) {
            LO1.selectFrom(t12, t13).intoArray(b, bOff + 12 * bStride);
        }
        if (rows > 13) {
            HI1.selectFrom(t12, t13).intoArray(b, bOff + 13 * bStride);
        }
        if (rows > 14) {
            LO1.selectFrom(t14, t15).intoArray(b, bOff + 14 * bStride);
        }
    }
}
