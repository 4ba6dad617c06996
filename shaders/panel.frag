#version 330 core
// Draws a texture, or a solid colour when g_UseTexture is 0.
#ifndef PANEL_FRAG
#define PANEL_FRAG

in vec2 v_TexCoord;

uniform sampler2D m_Texture;
uniform vec4 g_Colour;
uniform int g_UseTexture;

out vec4 o_Colour;

void main()
{
    o_Colour = g_UseTexture != 0 ? texture(m_Texture, v_TexCoord) * g_Colour : g_Colour;
}
#endif
