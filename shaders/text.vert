#version 330 core
// Batched glyph quads: positions already in normalised device coordinates, texture coordinates per vertex.
#ifndef TEXT_VERT
#define TEXT_VERT

layout(location = 0) in vec2 a_Position;
layout(location = 1) in vec2 a_TexCoord;

out vec2 v_TexCoord;

void main()
{
    v_TexCoord = a_TexCoord;
    gl_Position = vec4(a_Position, 0.0, 1.0);
}
#endif
