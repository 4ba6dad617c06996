// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Ops;

/// <summary>Local response normalisation across channels: y = x / (bias + alpha/size · Σ x²)^beta.</summary>
public readonly record struct LrnParams(int N, int C, int Spatial, int Size, float Alpha, float Beta, float Bias);
