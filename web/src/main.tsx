import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './i18n.ts';
import { App } from './app.tsx';
import { installPageDropGuard } from './hooks/use-page-drop-guard.ts';
import './styles.css';

const container = document.getElementById('root');
if (!container) throw new Error('Missing #root element in index.html');
// A file dropped outside a drop zone never makes the browser leave the page.
installPageDropGuard(window);

createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
