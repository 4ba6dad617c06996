// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.App.Loop;

namespace ConvLive.App.Live;

/// <summary>What the render loop leaves for the stats: frame counts and times, allocation, resource samples, and
/// why it stopped early (null when it did not).</summary>
internal readonly record struct RenderResult(long FramesRendered, long FirstFrameTicks, long WarmFrame, long WarmTicks, long LastFrameTicks, long FramesComposed, double AllocatedPerFrame, ResourceSample[] Resources, string? Failure)
{
    /// <summary>The last recording (file, codec, frames written, dropped, error), or null.</summary>
    public (string Path, string Codec, long Frames, long Dropped, string? Error)? Recording { get; init; }
}
