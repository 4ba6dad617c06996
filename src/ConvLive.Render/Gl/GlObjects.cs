// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Render.Gl;

/// <summary>A count of the GL objects (textures, buffers, vertex arrays, programs, framebuffers, renderbuffers) the
/// renderer holds, so a long run can show it stays flat.</summary>
public static class GlObjects
{
    private static long _live;

    /// <summary>Objects created and not yet deleted.</summary>
    public static long Live => Interlocked.Read(ref _live);

    internal static void Created(int count = 1) => Interlocked.Add(ref _live, count);

    internal static void Deleted(int count = 1) => Interlocked.Add(ref _live, -count);
}
