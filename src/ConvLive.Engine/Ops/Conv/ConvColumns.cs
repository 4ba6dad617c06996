// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Backends.Ilgpu;

/// <summary>
/// A convolution's input read as the columns of its GEMM without an im2col buffer: product z of the batch is image
/// z / Groups, group z % Groups; B(k, j) with k = (c, ky, kx) over the group's C·KH·KW taps and j = (oy, ox) over the
/// output positions is x[n, g·CG + c, oy·SH − PT + ky·DH, ox·SW − PL + kx·DW], zero outside the picture.
/// A is the group's MG×(CG·KH·KW) weights, C its MG output planes.
/// </summary>
internal readonly record struct ConvColumns(int C, int H, int W, int M, int Groups, int CG, int MG, int KH, int KW, int SH, int SW, int PT, int PL, int DH, int DW, int OW, int Spatial) : IColumnSource
{
    public int Index(int z, int k, int j)
    {
        var c = k / (KH * KW);
        var tap = k - (c * KH * KW);
        var ky = tap / KW;
        var kx = tap - (ky * KW);
        var oy = j / OW;
        var ox = j - (oy * OW);
        var iy = (oy * SH) - PT + (ky * DH);
        var ix = (ox * SW) - PL + (kx * DW);
        if (iy < 0 || iy >= H || ix < 0 || ix >= W)
        {
            return -1;
        }

        var n = z / Groups;
        var g = z - (n * Groups);
        return ((((n * C) + (g * CG) + c) * H) + iy) * W + ix;
    }

    public int AOffset(int z) => (z % Groups) * MG * CG * KH * KW;

    public int COffset(int z) => (((z / Groups) * M) + ((z % Groups) * MG)) * Spatial;

    public int BiasOffset(int z) => (z % Groups) * MG;
}
