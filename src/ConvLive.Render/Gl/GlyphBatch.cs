// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using Silk.NET.OpenGL;

namespace ConvLive.Render.Gl;

/// <summary>
/// Draws a whole line of text in one draw call: glyph quads go into a CPU array made once, then one buffer
/// update and one DrawArrays. Hundreds of glyphs a frame cost a handful of draw calls instead of one each.
/// </summary>
/// <remarks>Owns its program, VAO and VBO. Render thread only; Dispose is idempotent.</remarks>
internal sealed class GlyphBatch : IDisposable
{
    private const int MaxGlyphs = 512;
    private const int FloatsPerVertex = 4;
    private const int VerticesPerGlyph = 6;

    private readonly GL _gl;
    private readonly ShaderProgram _program;
    private readonly int _colourUniform;
    private readonly uint _vao;
    private readonly uint _vbo;
    private readonly float[] _vertices = new float[MaxGlyphs * VerticesPerGlyph * FloatsPerVertex];
    private bool _disposed;

    public unsafe GlyphBatch(GL gl)
    {
        _gl = gl;
        _program = new ShaderProgram(gl, "text.vert", "text.frag");
        _colourUniform = _program.Uniform("g_Colour");
        gl.UseProgram(_program.Handle);
        gl.Uniform1(_program.Uniform("m_Font"), 0);
        _vao = gl.GenVertexArray();
        GlObjects.Created();
        _vbo = gl.GenBuffer();
        GlObjects.Created();
        gl.BindVertexArray(_vao);
        gl.BindBuffer(BufferTargetARB.ArrayBuffer, _vbo);
        gl.BufferData(BufferTargetARB.ArrayBuffer, (nuint)(_vertices.Length * sizeof(float)), null, BufferUsageARB.StreamDraw);
        gl.EnableVertexAttribArray(0);
        gl.VertexAttribPointer(0, 2, VertexAttribPointerType.Float, false, FloatsPerVertex * sizeof(float), null);
        gl.EnableVertexAttribArray(1);
        gl.VertexAttribPointer(1, 2, VertexAttribPointerType.Float, false, FloatsPerVertex * sizeof(float), (void*)(2 * sizeof(float)));
        gl.BindVertexArray(0);
    }

    /// <summary>Draws <paramref name="text"/>; returns the x after it. Leaves the text program bound.</summary>
    public unsafe float Draw(FontAtlas font, ReadOnlySpan<char> text, float x, float y, Colour colour, float scale, int width, int height)
    {
        var count = 0;
        float w = font.CellWidth * scale, h = font.CellHeight * scale;
        foreach (var ch in text)
        {
            if (count == MaxGlyphs)
            {
                break;
            }

            var (uv, advance) = font.Glyph(ch);
            if (ch != ' ')
            {
                float x0 = (x / width * 2) - 1, x1 = ((x + w) / width * 2) - 1, y0 = 1 - (y / height * 2), y1 = 1 - ((y + h) / height * 2);
                var v = _vertices.AsSpan(count * VerticesPerGlyph * FloatsPerVertex);
                Corner(v, 0, x0, y0, uv.X, uv.Y);
                Corner(v, 1, x1, y0, uv.Right, uv.Y);
                Corner(v, 2, x0, y1, uv.X, uv.Bottom);
                Corner(v, 3, x1, y0, uv.Right, uv.Y);
                Corner(v, 4, x1, y1, uv.Right, uv.Bottom);
                Corner(v, 5, x0, y1, uv.X, uv.Bottom);
                count++;
            }

            x += advance * scale;
        }

        if (count > 0)
        {
            _gl.UseProgram(_program.Handle);
            _gl.Uniform4(_colourUniform, colour.R, colour.G, colour.B, colour.A);
            _gl.ActiveTexture(TextureUnit.Texture0);
            _gl.BindTexture(TextureTarget.Texture2D, font.Texture.Handle);
            _gl.BindVertexArray(_vao);
            _gl.BindBuffer(BufferTargetARB.ArrayBuffer, _vbo);
            fixed (float* p = _vertices)
            {
                _gl.BufferSubData(BufferTargetARB.ArrayBuffer, 0, (nuint)(count * VerticesPerGlyph * FloatsPerVertex * sizeof(float)), p);
            }

            _gl.DrawArrays(PrimitiveType.Triangles, 0, (uint)(count * VerticesPerGlyph));
        }

        return x;
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _gl.DeleteBuffer(_vbo);
            GlObjects.Deleted();
            _gl.DeleteVertexArray(_vao);
            GlObjects.Deleted();
            _program.Dispose();
        }
    }

    private static void Corner(Span<float> v, int i, float x, float y, float u, float t)
    {
        v[(i * FloatsPerVertex) + 0] = x;
        v[(i * FloatsPerVertex) + 1] = y;
        v[(i * FloatsPerVertex) + 2] = u;
        v[(i * FloatsPerVertex) + 3] = t;
    }
}
