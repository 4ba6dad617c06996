// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using Silk.NET.OpenGL;

using ConvLive.Render.Gl;
namespace ConvLive.Render;

/// <summary>A GL texture that shows one panel's pixels. Made by <see cref="Display.CreateTexture"/>.</summary>
/// <remarks>
/// Owns its GL texture. Uploads and Dispose belong on the render thread; a texture that is only finalised has
/// its handle queued and deleted by the display on its next frame (a finalizer never calls GL).
/// </remarks>
public sealed class PanelTexture : IDisposable
{
    private readonly Display _display;
    private readonly GL _gl;
    private int _allocatedWidth;
    private int _allocatedHeight;
    private PixelLayout _allocatedLayout;
    private bool _disposed;

    internal PanelTexture(Display display, GL gl, bool smooth)
    {
        _display = display;
        _gl = gl;
        Handle = gl.GenTexture();
        GlObjects.Created();
        gl.BindTexture(TextureTarget.Texture2D, Handle);
        var filter = (int)(smooth ? GLEnum.Linear : GLEnum.Nearest);
        gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureMinFilter, filter);
        gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureMagFilter, filter);
        gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureWrapS, (int)GLEnum.ClampToEdge);
        gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureWrapT, (int)GLEnum.ClampToEdge);
    }

    /// <summary>Finalizer: queues the handle for the render thread.</summary>
    ~PanelTexture()
    {
        if (!_disposed)
        {
            _display.Textures.Queue(Handle);
        }
    }

    /// <summary>True when the pixels are 8-bit values packed four to a texel.</summary>
    public bool IsPacked => _allocatedLayout == PixelLayout.PackedGrey8;

    /// <summary>Width of the last upload, pixels; 0 before the first.</summary>
    public int Width => _allocatedWidth;

    /// <summary>Height of the last upload, pixels; 0 before the first.</summary>
    public int Height => _allocatedHeight;

    internal uint Handle { get; }

    /// <summary>Uploads pixels unless this frame's upload budget is spent (<see cref="Display.MaxPixelsUploadedPerFrame"/>).</summary>
    /// <param name="pixels">Width·height pixels, rows top to bottom, packed (no row padding).</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="layout">The byte layout of <paramref name="pixels"/>.</param>
    /// <returns>False when the budget is spent: keep the data and try again next frame.</returns>
    public bool TryUpload(ReadOnlySpan<byte> pixels, int width, int height, PixelLayout layout) =>
        Upload(pixels, width, height, layout, spendBudget: true);

    /// <summary>Uploads regardless of the frame budget: for one-off setup textures (fonts, colormaps).</summary>
    internal void UploadNow(ReadOnlySpan<byte> pixels, int width, int height, PixelLayout layout) =>
        Upload(pixels, width, height, layout, spendBudget: false);

    private unsafe bool Upload(ReadOnlySpan<byte> pixels, int width, int height, PixelLayout layout, bool spendBudget)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _display.Thread.Ensure();
        var bytesPerPixel = layout switch { PixelLayout.Bgr8 => 3, PixelLayout.Rgba8 or PixelLayout.Bgra8 => 4, _ => 1 };
        if (layout == PixelLayout.PackedGrey8 && width % 4 != 0)
        {
            throw new ArgumentException($"packed grey textures need a width that is a multiple of 4, got {width}", nameof(width));
        }
        if (width <= 0 || height <= 0 || pixels.Length != width * height * bytesPerPixel)
        {
            throw new ArgumentException($"{layout} texture {width}x{height} needs {width * height * bytesPerPixel} bytes, got {pixels.Length}", nameof(pixels));
        }

        if (spendBudget && !_display.Textures.TrySpend(width * height))
        {
            return false;
        }

        var (internalFormat, format) = layout switch
        {
            PixelLayout.Bgr8 => (InternalFormat.Rgb8, PixelFormat.Bgr),
            PixelLayout.Rgba8 or PixelLayout.PackedGrey8 => (InternalFormat.Rgba8, PixelFormat.Rgba),
            PixelLayout.Bgra8 => (InternalFormat.Rgba8, PixelFormat.Bgra),
            _ => (InternalFormat.R8, PixelFormat.Red),
        };
        var texelWidth = layout == PixelLayout.PackedGrey8 ? width / 4 : width;
        _gl.BindTexture(TextureTarget.Texture2D, Handle);
        _gl.PixelStore(PixelStoreParameter.UnpackAlignment, 1);
        fixed (byte* p = pixels)
        {
            if (width != _allocatedWidth || height != _allocatedHeight || layout != _allocatedLayout)
            {
                _gl.TexImage2D(TextureTarget.Texture2D, 0, internalFormat, (uint)texelWidth, (uint)height, 0, format, PixelType.UnsignedByte, p);
                if (layout == PixelLayout.Grey8)
                {
                    ReadOnlySpan<int> swizzle = [(int)GLEnum.Red, (int)GLEnum.Red, (int)GLEnum.Red, (int)GLEnum.One];
                    _gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureSwizzleRgba, swizzle);
                }

                _allocatedWidth = width;
                _allocatedHeight = height;
                _allocatedLayout = layout;
            }
            else
            {
                _gl.TexSubImage2D(TextureTarget.Texture2D, 0, 0, 0, (uint)texelWidth, (uint)height, format, PixelType.UnsignedByte, p);
            }
        }

        return true;
    }

    /// <summary>Deletes the texture now (render thread) or queues it for the render thread (other threads).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _display.Textures.Queue(Handle);
        GC.SuppressFinalize(this);
    }
}
