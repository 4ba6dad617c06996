#version 330 core
// A unit quad placed by g_Rect (x, y, w, h in normalised device coordinates, y up).
#ifndef PANEL_VERT
#define PANEL_VERT

layout(location = 0) in vec2 a_Position;

uniform vec4 g_Rect;

out vec2 v_TexCoord;

void main()
{
    // Texture row 0 is the image's top row, so t runs downwards across the quad (0 at the top).
    v_TexCoord = vec2(a_Position.x, 1.0 - a_Position.y);
    gl_Position = vec4(g_Rect.xy + a_Position * g_Rect.zw, 0.0, 1.0);
}
#endif
