// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using Silk.NET.OpenGL;

namespace ConvLive.Render.Gl;

/// <summary>
/// Draws panels as quads: owns the panel programs (one per <see cref="PanelMode"/>, plain and for textures packed
/// four values to a texel), the quad mesh and the blending state, and binds a program only when the mode changes.
/// </summary>
/// <remarks>Owns its programs and mesh. Render thread only (the display checks).</remarks>
internal sealed class PanelPainter : IDisposable
{
    private static readonly int ModeCount = Enum.GetValues<PanelMode>().Length;
    private readonly GL _gl;
    private readonly PanelProgram[] _programs;
    private readonly QuadMesh _quad;
    private PanelProgram _current;
    private bool _blending;

    public PanelPainter(GL gl)
    {
        _gl = gl;
        _programs = new PanelProgram[ModeCount * 2]; // each mode, then its packed variant
        try
        {
            for (var i = 0; i < _programs.Length; i++)
            {
                _programs[i] = new PanelProgram(gl, i % ModeCount, packed: i >= ModeCount);
            }

            _quad = new QuadMesh(gl);
        }
        catch
        {
            Dispose();
            throw;
        }

        _current = _programs[0];
        Use(PanelMode.Fill, force: true);
    }

    /// <summary>A new frame: blending on (the default every frame starts from) and the fill program bound.</summary>
    public void BeginFrame()
    {
        _gl.Enable(EnableCap.Blend);
        _blending = true;
        _gl.BlendFunc(BlendingFactor.SrcAlpha, BlendingFactor.OneMinusSrcAlpha);
        Use(PanelMode.Fill, force: true);
    }

    /// <summary>Fills <paramref name="rect"/> (framebuffer pixels of a <paramref name="width"/>×<paramref name="height"/> target).</summary>
    public void Fill(RectF rect, Colour colour, int width, int height)
    {
        Use(PanelMode.Fill);
        _gl.Uniform4(_current.Colour, colour.R, colour.G, colour.B, colour.A);
        SetBlending(colour.A < 1f);
        DrawQuad(rect, width, height);
    }

    /// <summary>Draws part of <paramref name="texture"/> over <paramref name="rect"/> in <paramref name="mode"/>.</summary>
    public void Draw(PanelMode mode, PanelTexture texture, PanelTexture? lut, RectF rect, RectF uv, (float U, float V) step, bool swap, int width, int height, float alpha = 1f)
    {
        if (lut is not null)
        {
            _gl.ActiveTexture(TextureUnit.Texture1);
            _gl.BindTexture(TextureTarget.Texture2D, lut.Handle);
        }

        _gl.ActiveTexture(TextureUnit.Texture0);
        _gl.BindTexture(TextureTarget.Texture2D, texture.Handle);
        Use(mode, texture.IsPacked);
        var p = _current;
        _gl.Uniform4(p.Colour, 1f, 1f, 1f, alpha);
        _gl.Uniform4(p.UvRect, uv.X, uv.Y, uv.Right, uv.Bottom);
        _gl.Uniform2(p.ChannelStep, step.U, step.V);
        _gl.Uniform1(p.SwapRb, swap ? 1 : 0);
        if (texture.IsPacked)
        {
            _gl.Uniform2(p.TexSize, texture.Width / 4, texture.Height);
        }

        // Blending costs a read of the framebuffer per pixel on software rasterisers: only text needs it.
        SetBlending(mode == PanelMode.Coverage || alpha < 1f);
        DrawQuad(rect, width, height);
    }

    /// <summary>Turns blending on or off, only when it changes.</summary>
    public void SetBlending(bool on)
    {
        if (on != _blending)
        {
            _blending = on;
            if (on)
            {
                _gl.Enable(EnableCap.Blend);
            }
            else
            {
                _gl.Disable(EnableCap.Blend);
            }
        }
    }

    /// <summary>Binds the current program again after another drawer (the glyph batch) used its own.</summary>
    public void Rebind() => Use((PanelMode)_current.Mode, _current.IsPacked, force: true);

    public void Dispose()
    {
        _quad?.Dispose();
        foreach (var program in _programs)
        {
            program?.Dispose();
        }
    }

    /// <summary>Binds the program specialised for <paramref name="mode"/> (only when it changes).</summary>
    private void Use(PanelMode mode, bool packed = false, bool force = false)
    {
        if (force || _current.Mode != (int)mode || _current.IsPacked != packed)
        {
            _current = _programs[(int)mode + (packed ? ModeCount : 0)];
            _gl.UseProgram(_current.Program.Handle);
        }
    }

    private void DrawQuad(RectF rect, int width, int height)
    {
        float w = width, h = height;
        var x = (rect.X / w * 2f) - 1f;
        var y = 1f - (rect.Bottom / h * 2f);
        _gl.Uniform4(_current.Rect, x, y, rect.Width / w * 2f, rect.Height / h * 2f);
        _quad.Draw();
    }
}
