#version 330 core
// Glyph coverage from the font atlas, tinted.
#ifndef TEXT_FRAG
#define TEXT_FRAG

in vec2 v_TexCoord;

uniform sampler2D m_Font;
uniform vec4 g_Colour;

out vec4 o_Colour;

void main()
{
    o_Colour = vec4(g_Colour.rgb, g_Colour.a * texture(m_Font, v_TexCoord).r);
}
#endif
