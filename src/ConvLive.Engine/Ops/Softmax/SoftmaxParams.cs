// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Ops;

/// <summary>Softmax over a middle axis: x viewed as (Outer, Axis, Inner).</summary>
public readonly record struct SoftmaxParams(int Outer, int Axis, int Inner, bool Log);
