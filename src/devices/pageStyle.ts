/**
 * The stylesheet of the "your devices" pages, served at `/devices/style.css`: a file of our own, because the CSP
 * allows `style-src 'self'` only (no inline styles). No fonts or images from anywhere: the system font stack.
 *
 * Contrast (WCAG 2.x relative luminance), each at least 4.5:1:
 *   text #1a1a1a on #ffffff 17.4:1, on the card #f5f5f5 16.0:1;
 *   muted text #4d4d4d on #ffffff 8.5:1, on #f5f5f5 7.8:1;
 *   button text #ffffff on #0b57d0 6.4:1; links #0b57d0 on #ffffff 6.4:1, on #f5f5f5 5.9:1;
 *   notice #0d4f1f on #e6f4ea 8.6:1; ticket banner #6b3a00 on #fff4e0 8.6:1; problem heading #8a1c1c on #ffffff 9.3:1.
 * The focus outline (#0b57d0, 3 px, offset) is 6.4:1 against the page, above the 3:1 non-text minimum.
 */
export const DEVICES_CSS = `*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:#ffffff;color:#1a1a1a;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-size:1rem;line-height:1.5}
main{max-width:40rem;margin:0 auto;padding:1rem}
h1{font-size:1.75rem;line-height:1.2;margin:1rem 0 .5rem}
h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
h3{font-size:1.125rem;margin:0 0 .5rem;overflow-wrap:anywhere}
p{margin:.5rem 0}
a{color:#0b57d0}
.intro,.muted{color:#4d4d4d}
.notice{background:#e6f4ea;color:#0d4f1f;border-radius:.5rem;padding:.75rem 1rem;margin:1rem 0}
.notice:empty{display:none}
.banner{background:#fff4e0;color:#6b3a00;border-radius:.5rem;padding:.75rem 1rem;margin:1rem 0;font-weight:600}
.devices{list-style:none;margin:0;padding:0}
.device{background:#f5f5f5;border-radius:.5rem;padding:1rem;margin:0 0 .75rem}
.device dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0 0 .75rem}
.device dt{color:#4d4d4d}
.device dd{margin:0;overflow-wrap:anywhere}
.current{display:inline-block;margin-left:.5rem;padding:0 .5rem;border-radius:1rem;background:#0b57d0;color:#ffffff;font-size:.875rem;font-weight:600;vertical-align:middle}
form{margin:0}
button{font:inherit;font-weight:600;color:#ffffff;background:#0b57d0;border:0;border-radius:.5rem;padding:.625rem 1rem;min-height:2.75rem;cursor:pointer;max-width:100%;overflow-wrap:anywhere;text-align:left}
button:hover{background:#0842a0}
a:focus-visible,button:focus-visible{outline:3px solid #0b57d0;outline-offset:3px}
.others{margin:1.5rem 0}
.problem h1{color:#8a1c1c}
@media (max-width:30rem){.device dl{grid-template-columns:1fr}.device dd{margin-bottom:.25rem}button{width:100%}}
@media (prefers-reduced-motion:reduce){*{transition:none!important}}
`;
