// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Render.Gl;

/// <summary>Remembers which thread owns GL and refuses GL work from any other (osu's EnsureDrawThread).</summary>
internal sealed class RenderThread
{
    private readonly int _threadId = Environment.CurrentManagedThreadId;

    public void Ensure()
    {
        if (Environment.CurrentManagedThreadId != _threadId)
        {
            throw new InvalidOperationException($"GL called from thread {Environment.CurrentManagedThreadId}; only the render thread {_threadId} may call GL. Hand data over through a triple buffer instead.");
        }
    }
}
