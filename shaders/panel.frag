#version 330 core
// One fragment shader source for every panel, compiled once per MODE (defined by the renderer: a software
// rasteriser runs every branch of a runtime switch for every pixel, so each mode gets its own program):
// 0 solid colour, 1 texture, 2 8-bit atlas through the colormap LUT, 3 three atlas tiles as R,G,B,
// 4 text (the glyph atlas is coverage, tinted by g_Colour).
#ifndef PANEL_FRAG
#define PANEL_FRAG

in vec2 v_TexCoord;

uniform sampler2D m_Texture;
uniform sampler2D m_Lut;
uniform vec4 g_Colour;
uniform vec4 g_UvRect;
uniform vec2 g_ChannelStep;
#ifndef MODE
#define MODE 1
#endif
#ifndef PACKED
#define PACKED 0
#endif
uniform int g_SwapRb;
uniform ivec2 g_TexSize;

out vec4 o_Colour;

// An 8-bit value: a texel's red, or (PACKED textures) one of four bytes of an RGBA texel, fetched unfiltered.
float value(vec2 uv)
{
#if PACKED
    ivec2 p = clamp(ivec2(uv * vec2(g_TexSize.x * 4, g_TexSize.y)), ivec2(0), ivec2(g_TexSize.x * 4 - 1, g_TexSize.y - 1));
    vec4 texel = texelFetch(m_Texture, ivec2(p.x >> 2, p.y), 0);
    int lane = p.x & 3;
    return lane == 0 ? texel.r : lane == 1 ? texel.g : lane == 2 ? texel.b : texel.a;
#else
    return texture(m_Texture, uv).r;
#endif
}

void main()
{
    vec2 uv = mix(g_UvRect.xy, g_UvRect.zw, v_TexCoord);
#if MODE == 0
    o_Colour = g_Colour;
#elif MODE == 1
    o_Colour = texture(m_Texture, uv) * g_Colour;
#elif MODE == 2
    float v = value(uv);
    o_Colour = vec4(texture(m_Lut, vec2(v * (255.0 / 256.0) + 0.5 / 256.0, 0.5)).rgb, 1.0) * g_Colour;
#elif MODE == 3
    vec3 c = vec3(value(uv), value(uv + g_ChannelStep), value(uv + 2.0 * g_ChannelStep));
    o_Colour = vec4(g_SwapRb != 0 ? c.bgr : c, 1.0);
#else
    o_Colour = vec4(g_Colour.rgb, g_Colour.a * texture(m_Texture, uv).r);
#endif
}
#endif
