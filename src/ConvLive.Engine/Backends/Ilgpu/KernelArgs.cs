// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>Kernel parameter blocks: plain unmanaged structs, passed by value to ILGPU kernels.</summary>
/// <summary>GEMM geometry and its epilogue: with RowBias, bias[BiasOffset + row] is added to each row of C; with
/// Relu, C = max(0, ·) after it (a convolution's bias and fused Relu, in the GEMM's own store).</summary>
internal readonly record struct GemmArgs(int M, int N, int K, int A0, int A1, int B0, int B1, float Alpha, float Beta, int AOffset, int BOffset, int COffset, int Ldc, int Tile = 0, int RowBias = 0, int BiasOffset = 0, int Relu = 0);

internal readonly record struct Im2ColArgs(int C, int H, int W, int KH, int KW, int SH, int SW, int PT, int PL, int DH, int DW, int OH, int OW, int XOffset);

internal readonly record struct PoolArgs(int Kind, int H, int W, int KH, int KW, int SH, int SW, int PT, int PL, int PB, int PR, int DH, int DW, int OH, int OW, int IncludePad);

internal readonly record struct BroadcastArgs(
    int D0, int D1, int D2, int D3, int D4, int D5,
    int A0, int A1, int A2, int A3, int A4, int A5,
    int B0, int B1, int B2, int B3, int B4, int B5,
    int Kind);

internal readonly record struct PackArgs(int Offset, int AtlasWidth, int X, int Y, int Channels, int TileW, int TileH, int Columns, int Gap, int Plane);

internal readonly record struct PreprocessArgs(int FrameWidth, int FrameHeight, int Size, float CropX, float CropY, float CropSide, int Bgr, float Scale, float Mean0, float Mean1, float Mean2, float Std0, float Std1, float Std2)
{
    public static PreprocessArgs From(Ops.PreprocessParams p) =>
        new(p.FrameWidth, p.FrameHeight, p.Size, p.CropX, p.CropY, p.CropSide, p.Bgr ? 1 : 0, p.Scale, p.Mean0, p.Mean1, p.Mean2, p.Std0, p.Std1, p.Std2);
}

internal readonly record struct OptimizerArgs(int Kind, float LearningRate, float Beta1, float Beta2, float Epsilon, float WeightDecay, float Correction1, float Correction2)
{
    public static OptimizerArgs From(Ops.OptimizerParams p) =>
        new(p.Kind == Ops.OptimizerKind.Adam ? 0 : 1, p.LearningRate, p.Beta1, p.Beta2, p.Epsilon, p.WeightDecay, p.Correction1, p.Correction2);
}

internal readonly record struct DirectConvArgs(int C, int H, int W, int M, int CG, int MG, int KH, int KW, int SH, int SW, int PT, int PL, int DH, int DW, int OH, int OW, int HasBias, int Relu = 0);
