// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Collections.Concurrent;
using Silk.NET.OpenGL;

namespace ConvLive.Render.Gl;

/// <summary>
/// The display's texture bookkeeping: deletions queued from any thread (a finaliser never calls GL) and drained on
/// the render thread, and the per-frame upload budget that keeps large uploads from stalling a frame.
/// </summary>
internal sealed class TextureQueue
{
    private readonly ConcurrentQueue<uint> _dead = new();
    private long _pixelsThisFrame;

    /// <summary>The most texture pixels uploaded in one frame (the first upload of a frame always goes through).</summary>
    public long MaxPixelsPerFrame { get; set; } = 8 * 1024 * 1024;

    /// <summary>Queues a texture for deletion on the render thread; any thread.</summary>
    public void Queue(uint handle) => _dead.Enqueue(handle);

    /// <summary>Deletes the queued textures and starts a new upload budget. Render thread.</summary>
    public void BeginFrame(GL gl)
    {
        Drain(gl);
        _pixelsThisFrame = 0;
    }

    /// <summary>Deletes the queued textures. Render thread.</summary>
    public void Drain(GL gl)
    {
        while (_dead.TryDequeue(out var handle))
        {
            gl.DeleteTexture(handle);
            GlObjects.Deleted();
        }
    }

    /// <summary>Spends <paramref name="pixels"/> of this frame's budget, or says the upload must wait.</summary>
    public bool TrySpend(long pixels)
    {
        if (_pixelsThisFrame > 0 && _pixelsThisFrame + pixels > MaxPixelsPerFrame)
        {
            return false;
        }

        _pixelsThisFrame += pixels;
        return true;
    }
}
