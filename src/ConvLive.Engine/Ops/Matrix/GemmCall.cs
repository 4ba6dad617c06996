// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Backends.Cpu;

/// <summary>One row-major GEMM call, C = alpha·A·B + beta·C, as the worker bands of every implementation see it.</summary>
internal readonly unsafe struct GemmCall(int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
{
    public int M { get; } = m;

    public int N { get; } = n;

    public int K { get; } = k;

    public float Alpha { get; } = alpha;

    public float* A { get; } = a;

    public int Lda { get; } = lda;

    public float* B { get; } = b;

    public int Ldb { get; } = ldb;

    public float Beta { get; } = beta;

    public float* C { get; } = c;

    public int Ldc { get; } = ldc;
}
