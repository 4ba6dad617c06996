// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Ops;

namespace ConvLive.Engine.Reference;

/// <summary>
/// Naive references for every op, written straight from the ONNX definitions: plain nested loops, double
/// accumulation, no shared helpers with the fast backends. Tests hold both backends to these.
/// </summary>
internal static partial class ReferenceOps
{
}
