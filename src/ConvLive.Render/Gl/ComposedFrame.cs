// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using Silk.NET.OpenGL;

namespace ConvLive.Render.Gl;

/// <summary>The offscreen framebuffer every frame is composed in: resized with the display, read back for
/// screenshots, blitted to a window.</summary>
/// <remarks>Owns its target. Render thread only.</remarks>
internal sealed class ComposedFrame(GL gl, int width, int height) : IDisposable
{
    private OffscreenTarget _target = new(gl, Math.Max(1, width), Math.Max(1, height));

    /// <summary>Binds the target for drawing, made anew first when the display changed size.</summary>
    public void Bind(int width, int height)
    {
        if (_target.Width != width || _target.Height != height)
        {
            _target.Dispose();
            _target = new OffscreenTarget(gl, Math.Max(1, width), Math.Max(1, height));
        }

        gl.BindFramebuffer(FramebufferTarget.Framebuffer, _target.Handle);
    }

    /// <summary>Reads the pixels drawn so far as GL keeps them, rows bottom to top (recording: no flip, no allocation).</summary>
    /// <param name="rgba">width·height·4 bytes.</param>
    /// <param name="width">The display's width.</param>
    /// <param name="height">The display's height.</param>
    public unsafe void ReadBottomUp(Span<byte> rgba, int width, int height)
    {
        if (rgba.Length != height * width * 4)
        {
            throw new ArgumentException($"{width}x{height} RGBA needs {height * width * 4} bytes, got {rgba.Length}", nameof(rgba));
        }

        gl.PixelStore(PixelStoreParameter.PackAlignment, 1);
        gl.BindFramebuffer(FramebufferTarget.Framebuffer, _target.Handle);
        gl.ReadBuffer(GLEnum.ColorAttachment0);
        fixed (byte* p = rgba)
        {
            gl.ReadPixels(0, 0, (uint)width, (uint)height, PixelFormat.Rgba, PixelType.UnsignedByte, p);
        }
    }

    /// <summary>Reads the pixels drawn so far, rows top to bottom.</summary>
    /// <param name="rgba">width·height·4 bytes.</param>
    /// <param name="width">The display's width.</param>
    /// <param name="height">The display's height.</param>
    public unsafe void Read(Span<byte> rgba, int width, int height)
    {
        int stride = width * 4;
        if (rgba.Length != height * stride)
        {
            throw new ArgumentException($"{width}x{height} RGBA needs {height * stride} bytes, got {rgba.Length}", nameof(rgba));
        }

        gl.Finish();
        gl.PixelStore(PixelStoreParameter.PackAlignment, 1);
        gl.BindFramebuffer(FramebufferTarget.Framebuffer, _target.Handle);
        gl.ReadBuffer(GLEnum.ColorAttachment0);
        fixed (byte* p = rgba)
        {
            gl.ReadPixels(0, 0, (uint)width, (uint)height, PixelFormat.Rgba, PixelType.UnsignedByte, p);
        }

        // GL's rows run bottom to top; flip in place (screenshots only, so the row buffer may allocate).
        var temp = new byte[stride];
        for (var y = 0; y < height / 2; y++)
        {
            var top = rgba.Slice(y * stride, stride);
            var bottom = rgba.Slice((height - 1 - y) * stride, stride);
            top.CopyTo(temp);
            bottom.CopyTo(top);
            temp.CopyTo(bottom);
        }
    }

    /// <summary>Copies the composed frame to the window's default framebuffer.</summary>
    public void Blit(int width, int height)
    {
        if (width > 0 && height > 0)
        {
            gl.BindFramebuffer(FramebufferTarget.ReadFramebuffer, _target.Handle);
            gl.BindFramebuffer(FramebufferTarget.DrawFramebuffer, 0);
            int w = Math.Min(width, _target.Width), h = Math.Min(height, _target.Height);
            gl.BlitFramebuffer(0, 0, w, h, 0, 0, w, h, ClearBufferMask.ColorBufferBit, BlitFramebufferFilter.Nearest);
            gl.BindFramebuffer(FramebufferTarget.Framebuffer, _target.Handle);
        }
    }

    public void Dispose() => _target.Dispose();
}
