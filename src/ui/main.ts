import './pull-panel.ts';
