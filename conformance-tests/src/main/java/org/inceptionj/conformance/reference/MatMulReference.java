package org.inceptionj.conformance.reference;

import org.inceptionj.api.Shape;

/** Reference of {@code matmul}: out = op(a)·op(b), the textbook triple loop in double precision. */
public final class MatMulReference {
    private MatMulReference() {
    }

    /**
     * out[i,j] = Σ_k op(a)[i,k]·op(b)[k,j], where op(a)[i,k] = a[i,k], or a[k,i] with transA;
     * op(b)[k,j] = b[k,j], or b[j,k] with transB.
     */
    public static DTensor matmul(DTensor a, DTensor b, boolean transA, boolean transB) {
        int m = transA ? a.shape().dim(1) : a.shape().dim(0);
        int k = transA ? a.shape().dim(0) : a.shape().dim(1);
        int n = transB ? b.shape().dim(0) : b.shape().dim(1);
        DTensor out = DTensor.zeros(Shape.of(m, n));
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    double aip = transA ? a.get(p, i) : a.get(i, p);
                    double bpj = transB ? b.get(j, p) : b.get(p, j);
                    sum += aip * bpj;
                }
                out.set(sum, i, j);
            }
        }
        return out;
    }
}
