import { css } from 'lit';

/** What the side panels share: a titled box, a compact table, small buttons. */
export const panelStyles = css`
  :host { display: block; font: 13px/1.4 system-ui, sans-serif; color: #1f2328; }
  h2 { font-size: 13px; margin: 0 0 0.4rem; text-transform: uppercase; letter-spacing: 0.04em; color: #57606a; }
  table { width: 100%; border-collapse: collapse; }
  td, th { text-align: left; padding: 0.2rem 0.3rem; vertical-align: middle; }
  th { font-weight: 600; color: #57606a; font-size: 12px; }
  tr + tr td { border-top: 1px solid #eaeef2; }
  .mono { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
  .clip { max-width: 9rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .nowrap { white-space: nowrap; }
  .empty { color: #6e7781; font-style: italic; }
  .actions { white-space: nowrap; text-align: right; }
  button { font: inherit; font-size: 12px; padding: 0.1rem 0.45rem; border: 1px solid #d0d7de; border-radius: 4px; background: #f6f8fa; cursor: pointer; }
  button:hover:not(:disabled) { background: #eaeef2; }
  button:disabled { opacity: 0.5; cursor: default; }
  button.danger { color: #b42318; }
`;
