// The last line of defence: a rendering error shows a message with a way out, not a blank page.
import { Component, type ErrorInfo, type ReactNode } from 'react';
import { useI18n } from '../lib/i18n/i18n';
import { Button } from './button';
import { Empty } from './states';

export class ErrorBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  state = { failed: false };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    console.error('parley: the page failed to render', error, info.componentStack);
  }

  render() {
    return this.state.failed ? <Crashed /> : this.props.children;
  }
}

function Crashed() {
  const { t } = useI18n();
  return (
    <main>
      <Empty title={t('app.error')}>
        <Button variant="primary" onClick={() => window.location.reload()}>{t('app.reload')}</Button>
      </Empty>
    </main>
  );
}
