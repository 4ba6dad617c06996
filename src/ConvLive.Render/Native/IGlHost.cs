// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Render.Native;

/// <summary>Where GL draws: a GLFW window or an EGL surfaceless context. Render thread only.</summary>
internal interface IGlHost : IDisposable
{
    string Kind { get; }

    /// <summary>True when nothing is shown (EGL surfaceless, a hidden window): the frame stays in the offscreen framebuffer.</summary>
    bool IsOffscreen { get; }

    int Width { get; }

    int Height { get; }

    bool CloseRequested { get; }

    nint GetProcAddress(string name);

    void RequestClose();

    /// <summary>Processes window events; raises the callbacks below on this thread.</summary>
    void PollEvents(Action<KeyPress> onKey, Action<MouseClick> onClick, Action<int, int> onResize);

    /// <summary>Shows the finished frame (swap for a window; nothing for headless, whose frame stays in its FBO).</summary>
    void Present();

    void SetTitle(string title);
}
