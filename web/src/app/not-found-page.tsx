import { Link } from 'react-router-dom';
import { Empty } from '../components/states';
import { useI18n } from '../lib/i18n/i18n';

export function NotFoundPage() {
  const { t } = useI18n();
  return (
    <Empty title={t('app.notFound')}>
      <Link to="/conversations">{t('app.backHome')}</Link>
    </Empty>
  );
}
