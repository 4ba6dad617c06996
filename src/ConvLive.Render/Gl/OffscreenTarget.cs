// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using Silk.NET.OpenGL;

namespace ConvLive.Render.Gl;

/// <summary>A framebuffer object with one RGBA8 colour renderbuffer: where a display composes its frames.</summary>
/// <remarks>Owns both handles. Render thread only; Dispose is idempotent.</remarks>
internal sealed class OffscreenTarget : IDisposable
{
    private readonly GL _gl;
    private readonly uint _renderbuffer;
    private bool _disposed;

    public OffscreenTarget(GL gl, int width, int height)
    {
        _gl = gl;
        (Width, Height) = (width, height);
        Handle = gl.GenFramebuffer();
        GlObjects.Created();
        _renderbuffer = gl.GenRenderbuffer();
        GlObjects.Created();
        gl.BindRenderbuffer(RenderbufferTarget.Renderbuffer, _renderbuffer);
        gl.RenderbufferStorage(RenderbufferTarget.Renderbuffer, InternalFormat.Rgba8, (uint)width, (uint)height);
        gl.BindFramebuffer(FramebufferTarget.Framebuffer, Handle);
        gl.FramebufferRenderbuffer(FramebufferTarget.Framebuffer, FramebufferAttachment.ColorAttachment0, RenderbufferTarget.Renderbuffer, _renderbuffer);
        var status = gl.CheckFramebufferStatus(FramebufferTarget.Framebuffer);
        if (status != GLEnum.FramebufferComplete)
        {
            Dispose();
            throw new RenderException($"offscreen framebuffer {width}x{height} is incomplete ({status}); try a smaller --size.");
        }
    }

    public uint Handle { get; }

    public int Width { get; }

    public int Height { get; }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _gl.DeleteFramebuffer(Handle);
            GlObjects.Deleted();
            _gl.DeleteRenderbuffer(_renderbuffer);
            GlObjects.Deleted();
        }
    }
}
